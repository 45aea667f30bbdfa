// When wal-push reads an upload back with a HEAD. The bytes of every upload are checked by the
// store itself (Content-MD5, or the ETag on stores without it); the HEAD checks what no body checksum
// covers, that the store kept the metadata wal-fetch verifies against. Whether it does is a property
// of the store and of whatever stands in front of it, not of one object: a one-shot wal-push checks
// every time (it cannot remember), the daemon checks its first upload after it starts or reloads and
// then once per interval, and again after any failure, so a store that starts dropping metadata is
// found within the interval and every segment from that point on is refused until it passes again.

export interface ReadBackPolicy {
  /** whether this upload is read back */
  due(): boolean;
  /** a read-back passed: the next one is due after the interval */
  passed(): void;
}

export const ALWAYS_READ_BACK: ReadBackPolicy = { due: () => true, passed: () => undefined };

export class PeriodicReadBack implements ReadBackPolicy {
  private next = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  due(): boolean {
    return this.now() >= this.next;
  }

  passed(): void {
    this.next = this.now() + this.intervalMs;
  }

  /** after a reload (another repository, perhaps another store): the next upload is checked */
  reset(): void {
    this.next = 0;
  }
}

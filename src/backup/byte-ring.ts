// A fixed ring of shared memory that restored bytes pass through on their way to the target: the
// main thread copies tar data into a region, the thread pool writes the region to the file and the
// hashing thread reads it for the file's sha256, and the region is free again once every one of its
// users is done. Memory is the ring's size whatever the backup's size, and nothing is allocated per
// chunk (buffers the collector frees late were most of a restore's memory). Regions are released in
// the order they were reserved; a full ring makes the next reservation wait. Several rings may divide
// one shared buffer (one per partition being restored, so that one never waits behind another's
// regions), and the hashing thread then sees them all through that one buffer.

export interface RingRegion {
  start: number;
  length: number;
  /** bytes of the ring this region holds: its length, plus the tail skipped when it wrapped */
  cost: number;
  /** users still to call release() */
  users: number;
}

export class ByteRing {
  /** the whole shared buffer: regions' `start` are offsets into it */
  readonly bytes: Buffer;
  /** where this ring's bytes start in the shared buffer, which several rings may divide */
  private readonly base: number;
  /** next free byte, relative to `base` */
  private head = 0;
  private used = 0;
  private readonly live: RingRegion[] = [];
  private waiting: Array<() => void> = [];
  private failure?: Error;

  constructor(
    readonly size: number,
    readonly shared = new SharedArrayBuffer(size),
    base = 0,
  ) {
    if (base < 0 || base + size > shared.byteLength) throw new Error(`ring of ${size} bytes at ${base} outside a buffer of ${shared.byteLength}`);
    this.bytes = Buffer.from(shared);
    this.base = base;
  }

  /** A region of `length` contiguous bytes with `users` users; waits while the ring is full. */
  async reserve(length: number, users: number): Promise<RingRegion> {
    // Regions are released in order, so one larger than half the ring could wait for itself.
    if (length <= 0 || length > this.size / 2) throw new Error(`ring region of ${length} bytes in a ring of ${this.size}`);
    for (;;) {
      if (this.failure) throw this.failure;
      if (this.waiting.length === 0) {
        const wraps = this.head + length > this.size;
        const cost = wraps ? length + this.size - this.head : length;
        if (this.used + cost <= this.size) {
          const at = wraps ? 0 : this.head;
          const region = { start: this.base + at, length, cost, users };
          this.head = at + length;
          this.used += cost;
          this.live.push(region);
          return region;
        }
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** Extends the newest region by `length` bytes in place when they are free; false otherwise. */
  grow(region: RingRegion, length: number): boolean {
    if (this.live[this.live.length - 1] !== region || this.waiting.length > 0) return false;
    if (this.head + length > this.size || this.used + length > this.size) return false;
    region.length += length;
    region.cost += length;
    this.head += length;
    this.used += length;
    return true;
  }

  /** One user of `region` is done with it. */
  release(region: RingRegion): void {
    if (region.users <= 0) throw new Error('ring region released more often than it has users');
    region.users--;
    while (this.live.length > 0 && this.live[0]!.users === 0) this.used -= this.live.shift()!.cost;
    if (this.live.length === 0) this.head = 0;
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }

  /** Makes every waiting and later reservation fail (a user of the ring is gone). */
  fail(err: Error): void {
    this.failure ??= err;
    this.wake();
  }
}

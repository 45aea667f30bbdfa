// WAL prefetch for recovery: after serving a segment to restore_command, the daemon fetches the next
// few segments of the same timeline (verified exactly like wal-fetch) into pg_wal/.pgward-prefetch/,
// on the same filesystem as their destination, so the next request is one rename. Missing segments
// (the end of the archive) are simply not prefetched; stale files are removed as recovery moves on.
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { Storage } from '../storage/storage.js';
import { fetchWalFile } from '../wal/wal-fetch.js';
import { segmentName, segmentNumber } from '../wal/wal-file-name.js';

export class Prefetcher {
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly walDirectory: string,
    private readonly depth: number,
    private readonly fetchContext: () => { storage: Storage; systemIdentifier: string; log: Logger },
  ) {}

  private get cacheDir(): string {
    return join(this.walDirectory, '.pgward-prefetch');
  }

  /** Moves a prefetched segment to `destination`; false when it is not (yet) prefetched. */
  async take(segment: string, destination: string): Promise<boolean> {
    await this.inFlight.get(segment)?.catch(() => undefined);
    try {
      await rename(join(this.cacheDir, segment), destination);
      return true;
    } catch {
      return false;
    }
  }

  /** After `segment` (of `size` bytes) was served: fetch the ones recovery will ask for next. */
  schedule(segment: string, size: number): void {
    if (!/^[0-9A-F]{24}$/.test(segment)) return;
    const timeline = parseInt(segment.slice(0, 8), 16);
    const current = segmentNumber(segment, size);
    void this.prune(current, size);
    for (let i = 1n; i <= BigInt(this.depth); i++) {
      const next = segmentName(timeline, current + i, size);
      if (this.inFlight.has(next)) continue;
      const job = (async () => {
        await mkdir(this.cacheDir, { recursive: true, mode: 0o700 });
        await fetchWalFile(this.fetchContext(), next, join(this.cacheDir, next));
      })();
      this.inFlight.set(next, job);
      job.catch(() => undefined).finally(() => this.inFlight.delete(next));
    }
  }

  private async prune(current: bigint, size: number): Promise<void> {
    const names = await readdir(this.cacheDir).catch(() => [] as string[]);
    for (const name of names) {
      if (/^[0-9A-F]{24}$/.test(name) && segmentNumber(name, size) <= current) await rm(join(this.cacheDir, name), { force: true });
    }
  }
}

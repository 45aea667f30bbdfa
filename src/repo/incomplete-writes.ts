// Leftovers of writes that never finished: hidden temporary files of a wal-push or backup-push killed
// mid-write (filesystem repositories) and incomplete multipart uploads (S3). Nothing reads them, but
// they hold space (and on S3, billed parts) until removed. They are removed only once they are older
// than a day: a write in progress touches its file continuously and no upload of a bounded partition
// runs that long, so a sweep never races a live writer. The daemon sweeps at start and every few
// hours, off the archive_command path; repo-info counts them.
import type { Logger } from '../log/logger.js';
import type { IncompleteWrite, Storage } from '../storage/storage.js';

export const INCOMPLETE_WRITE_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export interface IncompleteWritesSummary {
  count: number;
  /** bytes held, where the store tells (filesystem) */
  bytes: number;
  /** how many are old enough to be removed */
  stale: number;
  oldest?: string;
}

const isStale = (write: IncompleteWrite, now: number): boolean => now - write.since.getTime() > INCOMPLETE_WRITE_MAX_AGE_MS;

/** undefined when the store cannot list incomplete writes (s3rver has no multipart listing). */
export async function summarizeIncompleteWrites(storage: Storage, now = Date.now()): Promise<IncompleteWritesSummary | undefined> {
  const writes = await storage.listIncomplete();
  if (!writes) return undefined;
  return {
    count: writes.length,
    bytes: writes.reduce((sum, write) => sum + (write.size ?? 0), 0),
    stale: writes.filter((write) => isStale(write, now)).length,
    ...(writes[0] ? { oldest: writes[0].since.toISOString() } : {}),
  };
}

/** Removes the incomplete writes older than the threshold; returns how many went. */
export async function sweepIncompleteWrites(storage: Storage, log: Logger, now = Date.now()): Promise<number> {
  const writes = await storage.listIncomplete();
  const stale = (writes ?? []).filter((write) => isStale(write, now));
  if (stale.length === 0) return 0;
  await storage.removeIncomplete(stale);
  log.info({ removed: stale.length, keys: stale.slice(0, 10).map((write) => write.key) }, `removed ${stale.length} incomplete writes older than a day from ${storage.location}`);
  return stale.length;
}

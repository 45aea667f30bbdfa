// A backup is usable only with the WAL from its start to its stop. pgward checks the archive for
// each of those segments (it does not take the server's word) and waits, for a bounded time, for the
// archiver to catch up.
import { IntegrityError } from '../errors/errors.js';
import { StopRequested } from './tar-partitions.js';
import type { Logger } from '../log/logger.js';
import type { Storage } from '../storage/storage.js';
import { findArchivedWal } from '../wal/archived-wal.js';
import { parseLsn, segmentName, segmentOfLsn } from '../wal/wal-file-name.js';

export interface WalRange {
  first: string;
  last: string;
  names: string[];
}

export function walRange(timeline: number, startLsn: string, stopLsn: string, segmentSize: number): WalRange {
  const first = segmentOfLsn(parseLsn(startLsn), segmentSize);
  // The stop LSN may sit exactly on a segment boundary: the segment it points into is not needed.
  const stop = parseLsn(stopLsn);
  const last = stop % BigInt(segmentSize) === 0n && stop > 0n ? segmentOfLsn(stop, segmentSize) - 1n : segmentOfLsn(stop, segmentSize);
  const names: string[] = [];
  for (let segno = first; segno <= (last < first ? first : last); segno++) names.push(segmentName(timeline, segno, segmentSize));
  return { first: names[0]!, last: names.at(-1)!, names };
}

export interface ArchiverStatus {
  lastFailedWal: string | null;
  lastFailedTime: Date | null;
  lastArchivedTime: Date | null;
}

export async function waitForWal(
  storage: Storage,
  range: WalRange,
  timeoutSeconds: number,
  log: Logger,
  archiver?: () => Promise<ArchiverStatus>,
  shouldStop: () => boolean = () => false,
): Promise<void> {
  const waitStarted = new Date();
  let reportedFailure: string | undefined;
  const until = Date.now() + timeoutSeconds * 1000;
  const missing = new Set(range.names);
  let announced = false;
  for (;;) {
    for (const name of [...missing]) {
      if ((await findArchivedWal(storage, name)).length > 0) missing.delete(name);
    }
    if (missing.size === 0) return;
    if (shouldStop()) throw new StopRequested('stop requested');
    if (!announced) {
      log.info({ phase: 'waiting for WAL', walStart: range.first, walStop: range.last, missing: [...missing] }, `waiting for ${missing.size} WAL segment(s) the backup needs to be archived`);
      announced = true;
    }
    const status = await archiver?.().catch(() => undefined);
    const failing = status?.lastFailedTime && status.lastFailedTime >= waitStarted && (!status.lastArchivedTime || status.lastFailedTime > status.lastArchivedTime);
    if (failing && status.lastFailedWal !== reportedFailure) {
      reportedFailure = status.lastFailedWal ?? undefined;
      log.warn({ lastFailedWal: status.lastFailedWal, lastFailedTime: status.lastFailedTime }, `archive_command is failing (last failure: ${status.lastFailedWal}); the server log says why`);
    }
    if (Date.now() > until) {
      const why = reportedFailure ? `; archive_command fails (last failed WAL ${reportedFailure})` : '';
      throw new IntegrityError(`WAL segment(s) ${[...missing].join(', ')} needed by the backup were not archived within ${timeoutSeconds} s${why}`, {
        hint: "check archive_command (pg_stat_archiver) and that it archives to this repository; the backup is not usable without them",
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

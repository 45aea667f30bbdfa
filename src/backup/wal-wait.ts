// A backup is usable only with the WAL from its start to its stop, and `check` proves archiving by
// waiting for the segment it switched. Both use this one wait: pgward looks for each segment in the
// repository (it does not take the server's word) for a bounded time, and meanwhile reports what
// pg_stat_archiver says about failures, so a broken archive_command is named while waiting, not
// only after the timeout.
import { IntegrityError } from '../errors/errors.js';
import { StopRequested } from './tar-partitions.js';
import type { Logger } from '../log/logger.js';
import type { ArchiverStatus } from '../postgres/archiving.js';
import { serverGone } from '../postgres/query.js';
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

export interface WalWaitOptions {
  storage: Storage;
  range: WalRange;
  timeoutSeconds: number;
  log: Logger;
  /** who needs the segments, for messages: "the backup", "check" */
  neededBy: string;
  /** pg_stat_archiver of the server that archives them; absent on a standby (the primary archives) */
  archiver?: () => Promise<ArchiverStatus>;
  /** said once when the wait starts, when the wait has a reason worth explaining */
  explanation?: string;
  /** the hint of the timeout error */
  hint: string;
  shouldStop?: () => boolean;
  progressIntervalMs?: number;
  /** archiver failures from this time on are reported (default: when the wait starts) */
  since?: Date;
}

function describeFailure(status: ArchiverStatus): string {
  return `archive_command failed for ${status.lastFailedWal} at ${status.lastFailedTime?.toISOString()}`;
}

export async function waitForWal(options: WalWaitOptions): Promise<void> {
  const { storage, range, log } = options;
  const waitStarted = new Date();
  const since = options.since ?? waitStarted;
  let failure: ArchiverStatus | undefined;
  const until = Date.now() + options.timeoutSeconds * 1000;
  const missing = new Set(range.names);
  let announced = false;
  let nextHeartbeat = Date.now() + (options.progressIntervalMs ?? 5000);
  for (;;) {
    for (const name of [...missing]) {
      if ((await findArchivedWal(storage, name)).length > 0) missing.delete(name);
    }
    if (missing.size === 0) return;
    if (options.shouldStop?.()) throw new StopRequested('stop requested');
    if (!announced) {
      log.info(
        { phase: 'waiting for WAL', walStart: range.first, walStop: range.last, missing: [...missing], timeoutSeconds: options.timeoutSeconds },
        `waiting up to ${options.timeoutSeconds} s for ${missing.size} WAL segment(s) ${options.neededBy} needs to be archived${options.explanation ? `: ${options.explanation}` : ''}`,
      );
      announced = true;
    } else if (Date.now() >= nextHeartbeat) {
      nextHeartbeat = Date.now() + (options.progressIntervalMs ?? 5000);
      log.info({ phase: 'waiting for WAL', missing: [...missing], seconds: Math.round((Date.now() - waitStarted.getTime()) / 1000) }, `still waiting for ${[...missing].join(', ')} to be archived, ${Math.round((Date.now() - waitStarted.getTime()) / 1000)} s`);
    }
    // A failed query here must not end the wait (the segments may still arrive), unless the server
    // itself is gone: its archiver went with it, so nothing more can arrive until it is started again.
    const status = await options.archiver?.().catch((err: unknown) => {
      if (serverGone((err as { cause?: unknown }).cause ?? err)) throw err;
      return undefined;
    });
    const failing = status?.lastFailedTime && status.lastFailedTime >= since && (!status.lastArchivedTime || status.lastFailedTime > status.lastArchivedTime);
    if (failing && status.lastFailedWal !== failure?.lastFailedWal) {
      failure = status;
      log.warn({ lastFailedWal: status.lastFailedWal, lastFailedTime: status.lastFailedTime }, `${describeFailure(status)} (pg_stat_archiver); the server log has the command's output`);
    }
    if (Date.now() > until) {
      const why = failure ? `; ${describeFailure(failure)}` : '';
      throw new IntegrityError(`WAL segment(s) ${[...missing].join(', ')} needed by ${options.neededBy} were not archived within ${options.timeoutSeconds} s${why}`, { hint: options.hint });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

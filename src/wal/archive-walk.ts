// The walk wal-verify and status share: are all segments recovery would replay archived, from the
// first archived segment (or a given one, such as the oldest backup's first segment) to the newest, on
// the newest timeline and back through its ancestors by its history; and did a parent timeline keep
// being archived past a fork (two servers writing one archive)?
import { IntegrityError } from '../errors/errors.js';
import type { Storage } from '../storage/storage.js';
import { readArchivedHistories, readArchivedHistory } from './recovery-timeline.js';
import { describeFork, findTimelineForks, type TimelineFork } from './timeline-forks.js';
import type { TimelineSwitch } from './timeline-history.js';
import { checkRecoveryPath, type RecoveryPathReport } from './wal-catalog.js';
import { parseWalFileName, segmentNumber } from './wal-file-name.js';
import { listArchivedWal } from './wal-listing.js';
import { methodOfExtension } from '../codec/compression.js';
import { parseWalKey } from '../repo/layout.js';

export interface ArchiveWalk {
  /** undefined when no segment is archived yet */
  report?: RecoveryPathReport;
  timeline?: number;
  switches: TimelineSwitch[];
  /** the newest timeline's .history is missing: only that timeline was checked */
  historyProblem?: string;
  forks: TimelineFork[];
}

export async function walkArchive(storage: Storage, options: { fromSegment?: string } = {}): Promise<ArchiveWalk> {
  const listing = await listArchivedWal(storage);
  const segments = [...listing.fileNames].map(parseWalFileName).filter((f) => f?.kind === 'segment');
  if (segments.length === 0) return { switches: [], forks: [] };
  const timeline = Math.max(...segments.map((s) => s!.timeline));
  let switches: TimelineSwitch[] = [];
  let historyProblem: string | undefined;
  if (timeline > 1) {
    const historyName = `${timeline.toString(16).toUpperCase().padStart(8, '0')}.history`;
    const key = listing.keys.get(historyName);
    const history = key ? await readArchivedHistory(storage, key, methodOfExtension(parseWalKey(key)!.extension) ?? 'none') : undefined;
    if (history) switches = history;
    else historyProblem = `${historyName} is not archived: only timeline ${timeline} itself was checked`;
  }
  const chain = new Set([timeline, ...switches.map((s) => s.timeline)]);
  const numbers = (filter: (tli: number) => boolean) => segments.filter((s) => filter(s!.timeline)).map((s) => segmentNumber(s!.segment!, listing.segmentSize));
  const onChain = numbers((tli) => (historyProblem ? tli === timeline : chain.has(tli)));
  const firstArchived = onChain.reduce((a, b) => (a < b ? a : b));
  const from = options.fromSegment ? segmentNumber(options.fromSegment, listing.segmentSize) : firstArchived;
  const start = from > firstArchived ? from : firstArchived;
  const end = numbers((tli) => tli === timeline).reduce((a, b) => (a > b ? a : b));
  const report = checkRecoveryPath(listing.fileNames, timeline, historyProblem ? [] : switches, start, end, listing.segmentSize);
  const forks = findTimelineForks(listing.modified, await readArchivedHistories(storage, listing), listing.segmentSize);
  return { report, timeline, switches, forks, ...(historyProblem ? { historyProblem } : {}) };
}

/** The walk's verdict as wal-verify's exit 8, or undefined when the archive is whole. */
export function walkFailure(walk: ArchiveWalk): IntegrityError | undefined {
  const { report, forks, historyProblem } = walk;
  if (!report) return undefined;
  if (forks.length > 0 && report.missingCount === 0 && !historyProblem) {
    return new IntegrityError(forks.map(describeFork).join('; '), {
      hint: 'find the server that archived the later timeline (location-list shows who may write) and stop it archiving here; restore with recovery_target_timeline set to the timeline you mean',
    });
  }
  if (report.missingCount > 0 || historyProblem) {
    return new IntegrityError(`${report.missingCount} WAL segment(s) missing between ${report.from} and ${report.to}${historyProblem ? `; ${historyProblem}` : ''}${forks.length ? `; ${forks.map(describeFork).join('; ')}` : ''}`, {
      hint: 'recovery cannot pass a gap: take a new base backup after it, and check archive_command failures (pg_stat_archiver)',
    });
  }
  return undefined;
}

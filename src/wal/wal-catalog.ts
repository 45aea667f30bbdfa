// The shape of the archived WAL: which timelines, which segment ranges, and which segments are missing
// on the path recovery would follow. Pure functions over file names, so they are unit-tested on
// synthetic archives; the commands feed them a listing of wal_005/.
import { parseWalFileName, segmentName, segmentNumber, segmentOfLsn } from './wal-file-name.js';
import type { TimelineSwitch } from './timeline-history.js';

export interface TimelineSummary {
  timeline: number;
  first?: string;
  last?: string;
  segments: number;
  partial: string[];
  hasHistory: boolean;
  /** missing segments between first and last of this timeline alone */
  gaps: Array<{ from: string; to: string; count: number }>;
}

export interface WalCatalog {
  segmentSize: number;
  timelines: TimelineSummary[];
  backupHistoryFiles: string[];
}

function coalesce(missing: Array<{ timeline: number; segno: bigint }>, segmentSize: number): TimelineSummary['gaps'] {
  const gaps: TimelineSummary['gaps'] = [];
  for (const item of missing) {
    const last = gaps.at(-1);
    const name = segmentName(item.timeline, item.segno, segmentSize);
    if (last && last.count > 0 && segmentNumber(last.to, segmentSize) + 1n === item.segno && last.to.slice(0, 8) === name.slice(0, 8)) {
      last.to = name;
      last.count++;
    } else {
      gaps.push({ from: name, to: name, count: 1 });
    }
  }
  return gaps;
}

export function buildCatalog(fileNames: Iterable<string>, segmentSize: number): WalCatalog {
  const byTimeline = new Map<number, { segnos: Set<bigint>; partial: string[]; history: boolean }>();
  const backups: string[] = [];
  const entry = (timeline: number) => {
    let found = byTimeline.get(timeline);
    if (!found) byTimeline.set(timeline, (found = { segnos: new Set(), partial: [], history: false }));
    return found;
  };
  for (const name of fileNames) {
    const file = parseWalFileName(name);
    if (!file) continue;
    if (file.kind === 'segment') entry(file.timeline).segnos.add(segmentNumber(file.segment!, segmentSize));
    else if (file.kind === 'partial') entry(file.timeline).partial.push(name);
    else if (file.kind === 'history') entry(file.timeline).history = true;
    else backups.push(name);
  }
  const timelines = [...byTimeline.entries()]
    .sort(([a], [b]) => a - b)
    .map(([timeline, found]): TimelineSummary => {
      const sorted = [...found.segnos].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const missing: Array<{ timeline: number; segno: bigint }> = [];
      for (let i = 1; i < sorted.length; i++) {
        for (let segno = sorted[i - 1]! + 1n; segno < sorted[i]!; segno++) missing.push({ timeline, segno });
      }
      return {
        timeline,
        first: sorted.length ? segmentName(timeline, sorted[0]!, segmentSize) : undefined,
        last: sorted.length ? segmentName(timeline, sorted.at(-1)!, segmentSize) : undefined,
        segments: sorted.length,
        partial: found.partial.sort(),
        hasHistory: found.history,
        gaps: coalesce(missing, segmentSize),
      };
    });
  return { segmentSize, timelines, backupHistoryFiles: backups.sort() };
}

export interface RecoveryPathReport {
  timeline: number;
  from?: string;
  to?: string;
  /** segments recovery would need that are not archived, in order */
  missing: Array<{ from: string; to: string; count: number }>;
  missingCount: number;
}

/**
 * The segments recovery needs to replay from `startSegno` to the newest segment of `timeline`, taking
 * each segment from the timeline that owned it according to the history (`switches`, oldest first):
 * segments before a switch point come from the parent; the one holding the switch point and later
 * ones come from the child, which starts with a copy of it.
 */
export function checkRecoveryPath(
  present: ReadonlySet<string>,
  timeline: number,
  switches: readonly TimelineSwitch[],
  startSegno: bigint,
  endSegno: bigint,
  segmentSize: number,
): RecoveryPathReport {
  const owner = (segno: bigint): number => {
    for (let i = 0; i < switches.length; i++) {
      if (segno < segmentOfLsn(switches[i]!.switchLsn, segmentSize)) return switches[i]!.timeline;
    }
    return timeline;
  };
  const missing: Array<{ timeline: number; segno: bigint }> = [];
  for (let segno = startSegno; segno <= endSegno; segno++) {
    const tli = owner(segno);
    if (!present.has(segmentName(tli, segno, segmentSize))) missing.push({ timeline: tli, segno });
  }
  return {
    timeline,
    from: segmentName(owner(startSegno), startSegno, segmentSize),
    to: segmentName(timeline, endSegno, segmentSize),
    missing: coalesce(missing, segmentSize),
    missingCount: missing.length,
  };
}

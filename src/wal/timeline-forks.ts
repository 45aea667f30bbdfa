// Forks in the archive: a timeline whose parent kept being archived past the point where the child
// branched off. Two servers then wrote WAL after the fork (a restored copy promoted while production
// ran on, or an old primary still running after a failover), and recovery with
// recovery_target_timeline = latest takes the child and lacks what the parent wrote afterwards.
// A parent segment past the fork point that was stored before the child's history file is not a
// fork of this kind: that is a deliberate point-in-time restore that left later WAL behind.
import type { TimelineSwitch } from './timeline-history.js';
import { parseWalFileName, segmentName, segmentNumber, segmentOfLsn } from './wal-file-name.js';

export interface TimelineFork {
  parent: number;
  child: number;
  /** the LSN where the child branched off (from the child's .history) */
  forkLsn: bigint;
  /** the newest parent segment stored after the child's history */
  lastParentSegment: string;
  /** parent segments past the fork point stored after the child's history */
  segmentsAfterFork: number;
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

const historyName = (timeline: number): string => `${timeline.toString(16).toUpperCase().padStart(8, '0')}.history`;

/**
 * `modified`: every archived file name and when it was stored (undefined when the storage does not
 * say: counted as after, to err towards reporting). `histories`: each timeline's parsed .history.
 */
export function findTimelineForks(modified: ReadonlyMap<string, Date | undefined>, histories: ReadonlyMap<number, readonly TimelineSwitch[]>, segmentSize: number): TimelineFork[] {
  const segmentsByTimeline = new Map<number, Array<{ segno: bigint; stored?: Date }>>();
  for (const [name, stored] of modified) {
    const file = parseWalFileName(name);
    if (file?.kind !== 'segment') continue;
    const list = segmentsByTimeline.get(file.timeline) ?? [];
    list.push({ segno: segmentNumber(file.segment!, segmentSize), stored });
    segmentsByTimeline.set(file.timeline, list);
  }
  const forks = new Map<string, TimelineFork>();
  for (const [timeline, switches] of histories) {
    const historyStored = modified.get(historyName(timeline));
    switches.forEach((entry, i) => {
      const child = switches[i + 1]?.timeline ?? timeline;
      const id = `${entry.timeline}>${child}`;
      if (forks.has(id)) return;
      const forkSegno = segmentOfLsn(entry.switchLsn, segmentSize);
      // The parent's WAL ends at the switch LSN: the segment holding it may be complete on the parent
      // (archive_timeout, a switch) but any later segment was written after the fork.
      const firstAfter = entry.switchLsn % BigInt(segmentSize) === 0n ? forkSegno : forkSegno + 1n;
      const after = (segmentsByTimeline.get(entry.timeline) ?? []).filter(
        (s) => s.segno >= firstAfter && (s.stored === undefined || historyStored === undefined || s.stored.getTime() >= historyStored.getTime()),
      );
      if (after.length === 0) return;
      const last = after.reduce((a, b) => (a.segno > b.segno ? a : b)).segno;
      forks.set(id, { parent: entry.timeline, child, forkLsn: entry.switchLsn, lastParentSegment: segmentName(entry.timeline, last, segmentSize), segmentsAfterFork: after.length });
    });
  }
  return [...forks.values()].sort((a, b) => a.child - b.child || a.parent - b.parent);
}

export function describeFork(fork: TimelineFork): string {
  return (
    `timeline ${fork.child} forked off timeline ${fork.parent} at ${formatLsn(fork.forkLsn)}, but timeline ${fork.parent} kept being archived after the fork ` +
    `(${fork.segmentsAfterFork} segment(s), up to ${fork.lastParentSegment}): two servers wrote after the fork (a restored copy or an old primary); ` +
    `recovery following latest takes timeline ${fork.child} and lacks what timeline ${fork.parent} has after ${formatLsn(fork.forkLsn)}`
  );
}

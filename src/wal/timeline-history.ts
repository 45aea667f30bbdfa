// Timeline history files (TTTTTTTT.history): one line per ancestor timeline, "parentTLI<TAB>switch
// LSN<TAB>reason", oldest first. Timeline N's file says where each earlier timeline ended.
import { parseLsn } from './wal-file-name.js';

export interface TimelineSwitch {
  timeline: number;
  /** the LSN at which `timeline` ended and its child began */
  switchLsn: bigint;
}

export function parseTimelineHistory(text: string): TimelineSwitch[] {
  const switches: TimelineSwitch[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [timeline, lsn] = line.split(/\s+/);
    switches.push({ timeline: Number(timeline), switchLsn: parseLsn(lsn!) });
  }
  return switches;
}

// The timeline a recovery with recovery_target_timeline = 'latest' follows, read from the repository
// the way PostgreSQL finds it (findNewestTimeLine): probe TLI+1, TLI+2, ... while a history file
// exists. Its history says where each ancestor ended, which decides whether a backup can reach a target.
import type { ReadMethod } from '../codec/compression.js';
import type { Storage } from '../storage/storage.js';
import { findArchivedWal } from '../wal/archived-wal.js';
import { readArchivedHistory } from '../wal/recovery-timeline.js';
import type { Lineage } from './recovery-target.js';

const historyFileName = (timeline: number): string => `${timeline.toString(16).toUpperCase().padStart(8, '0')}.history`;

export async function latestLineage(storage: Storage, startTimeline: number): Promise<Lineage> {
  let newest: { timeline: number; key: string; method: ReadMethod } | undefined;
  for (let probe = startTimeline + 1; ; probe++) {
    const found = (await findArchivedWal(storage, historyFileName(probe)))[0];
    if (!found) break;
    newest = { timeline: probe, key: found.key, method: found.method };
  }
  if (!newest) return { timeline: startTimeline, switches: [] };
  return { timeline: newest.timeline, switches: (await readArchivedHistory(storage, newest.key, newest.method)) ?? [] };
}

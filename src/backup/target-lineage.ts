// The timeline a recovery with recovery_target_timeline = 'latest' follows, read from the repository
// the way PostgreSQL finds it (findNewestTimeLine): probe TLI+1, TLI+2, ... while a history file
// exists. Its history says where each ancestor ended, which decides whether a backup can reach a target.
import { decompressBuffer } from '../codec/buffer-codec.js';
import { IntegrityError } from '../errors/errors.js';
import { getBuffer, type Storage } from '../storage/storage.js';
import { findArchivedWal } from '../wal/archived-wal.js';
import { parseTimelineHistory } from '../wal/timeline-history.js';
import type { Lineage } from './recovery-target.js';

const historyFileName = (timeline: number): string => `${timeline.toString(16).toUpperCase().padStart(8, '0')}.history`;

export async function latestLineage(storage: Storage, startTimeline: number): Promise<Lineage> {
  let newest: { timeline: number; key: string; method: Parameters<typeof decompressBuffer>[1] } | undefined;
  for (let probe = startTimeline + 1; ; probe++) {
    const found = (await findArchivedWal(storage, historyFileName(probe)))[0];
    if (!found) break;
    newest = { timeline: probe, key: found.key, method: found.method };
  }
  if (!newest) return { timeline: startTimeline, switches: [] };
  const where = `${storage.location}/${newest.key}`;
  const body = await getBuffer(storage, newest.key);
  const text = body ? (await decompressBuffer(body, newest.method, where)).toString('utf8') : '';
  try {
    return { timeline: newest.timeline, switches: parseTimelineHistory(text) };
  } catch (err) {
    throw new IntegrityError(`${where} is not a timeline history file`, { hint: 'the archived history is damaged; recovery to a target cannot be planned with it', cause: err });
  }
}

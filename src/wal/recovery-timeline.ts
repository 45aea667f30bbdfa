// Which timeline a restore with recovery_target_timeline = latest will reach, and why, told before
// the server starts: PostgreSQL probes the archive for TLI+1.history, TLI+2.history, ... from the
// backup's timeline and takes the last one it finds (findNewestTimeLine), whether or not that
// timeline is the one production went on with.
import { decompressBuffer } from '../codec/buffer-codec.js';
import { methodOfExtension, type ReadMethod } from '../codec/compression.js';
import { IntegrityError } from '../errors/errors.js';
import { parseWalKey } from '../repo/layout.js';
import { getBuffer, type Storage } from '../storage/storage.js';
import { describeFork, findTimelineForks, type TimelineFork } from './timeline-forks.js';
import { parseTimelineHistory, type TimelineSwitch } from './timeline-history.js';
import { listArchivedWal, type WalListing } from './wal-listing.js';

export interface TimelinePrediction {
  timeline: number;
  reason: string;
  /** set when recovery will fail or will miss WAL another server archived */
  warning?: string;
}

/** One archived .history object, parsed; absent is undefined, damaged is an IntegrityError naming it. */
export async function readArchivedHistory(storage: Storage, key: string, method: ReadMethod): Promise<TimelineSwitch[] | undefined> {
  const where = `${storage.location}/${key}`;
  const body = await getBuffer(storage, key);
  if (!body) return undefined;
  const text = (await decompressBuffer(body, method, where)).toString('utf8');
  try {
    return parseTimelineHistory(text);
  } catch (err) {
    throw new IntegrityError(`${where} is not a timeline history file`, { hint: 'the archived history is damaged; recovery to a target cannot be planned with it', cause: err });
  }
}

/** Every archived .history file, parsed, by timeline. */
export async function readArchivedHistories(storage: Storage, listing: WalListing): Promise<Map<number, TimelineSwitch[]>> {
  const histories = new Map<number, TimelineSwitch[]>();
  for (const [fileName, key] of listing.keys) {
    const match = /^([0-9A-F]{8})\.history$/.exec(fileName);
    if (!match) continue;
    const switches = await readArchivedHistory(storage, key, methodOfExtension(parseWalKey(key)!.extension) ?? 'none');
    if (switches) histories.set(parseInt(match[1]!, 16), switches);
  }
  return histories;
}

export function predictLatestTimeline(backupTimeline: number, histories: ReadonlyMap<number, readonly TimelineSwitch[]>, forks: readonly TimelineFork[]): TimelinePrediction {
  let newest = backupTimeline;
  while (histories.has(newest + 1)) newest++;
  if (newest === backupTimeline) {
    return { timeline: newest, reason: `the archive has no ${(newest + 1).toString(16).toUpperCase().padStart(8, '0')}.history, so recovery stays on the backup's timeline ${newest}` };
  }
  const ancestors = histories.get(newest)!.map((s) => s.timeline);
  if (!ancestors.includes(backupTimeline)) {
    return {
      timeline: newest,
      reason: `timeline ${newest} is the newest timeline in the archive`,
      warning: `timeline ${newest} does not descend from the backup's timeline ${backupTimeline}: PostgreSQL will refuse to recover; set recovery_target_timeline = '${backupTimeline}' in the restored configuration`,
    };
  }
  const path = [...ancestors.slice(ancestors.indexOf(backupTimeline)), newest];
  const onPath = forks.filter((f) => path.includes(f.child) && path.includes(f.parent));
  const prediction: TimelinePrediction = {
    timeline: newest,
    reason: `recovery_target_timeline = latest follows timeline ${path.join(' -> ')}, the newest timeline in the archive that descends from the backup's timeline ${backupTimeline}`,
  };
  if (onPath.length) {
    const fork = onPath[0]!;
    prediction.warning = `${describeFork(fork)}; to recover what timeline ${fork.parent} wrote instead, set recovery_target_timeline = '${fork.parent}' before starting the server`;
  }
  return prediction;
}

/** The prediction for a backup of `backupTimeline`, read from the archive's listing and .history files. */
export async function explainRecoveryTimeline(storage: Storage, backupTimeline: number, pgVersionNum: number): Promise<TimelinePrediction> {
  if (pgVersionNum < 120000) {
    return { timeline: backupTimeline, reason: `PostgreSQL before 12 defaults to recovery_target_timeline = current, the backup's timeline ${backupTimeline}` };
  }
  const listing = await listArchivedWal(storage);
  const histories = await readArchivedHistories(storage, listing);
  return predictLatestTimeline(backupTimeline, histories, findTimelineForks(listing.modified, histories, listing.segmentSize));
}

// A backup's name, and the claim that makes it the backup's own. Names come from the timeline and
// the start LSN (wal-e/WAL-G style), which two backups can share: a standby's backup starts at its
// last restartpoint, usually the primary's backup checkpoint, and an idle standby starts every backup
// there. So before writing anything, backup-push creates the backup's first object only if absent;
// when the name is taken (claimed, or holding a backup written before claims existed), the next
// free suffix is used. No object of another backup is ever overwritten.
import { ArchiveDuplicateError } from '../errors/errors.js';
import { backupObjectKey, backupPrefix, sentinelKey } from '../repo/layout.js';
import type { Storage } from '../storage/storage.js';
import { parseLsn, segmentName, segmentOfLsn } from '../wal/wal-file-name.js';

const MAX_SUFFIX = 1000;

export function backupName(timeline: number, startLsn: string, size: number): string {
  const lsn = parseLsn(startLsn);
  const offset = (lsn % BigInt(size)).toString(16).toUpperCase().padStart(8, '0');
  return `base_${segmentName(timeline, segmentOfLsn(lsn, size), size)}_${offset}`;
}

async function holdsAnything(storage: Storage, name: string): Promise<boolean> {
  if (await storage.head(sentinelKey(name))) return true;
  const first = await storage.list(backupPrefix(name))[Symbol.asyncIterator]().next();
  return !first.done;
}

export interface BackupClaim {
  name: string;
  /** the name the start LSN gave, when it was taken and a suffix was added */
  taken?: string;
}

export async function claimBackupName(storage: Storage, base: string, claim: Record<string, unknown>): Promise<BackupClaim> {
  for (let n = 1; n <= MAX_SUFFIX; n++) {
    const name = n === 1 ? base : `${base}_${n}`;
    // A backup written before claims existed has no claim object: its objects alone keep the name.
    if (await holdsAnything(storage, name)) continue;
    const body = Buffer.from(JSON.stringify({ name, ...claim }, null, 2));
    if ((await storage.putIfAbsent(backupObjectKey(name, 'claim.json'), body)) === 'created') return n === 1 ? { name } : { name, taken: base };
  }
  throw new ArchiveDuplicateError(`backup names ${base} to ${base}_${MAX_SUFFIX} are all taken in ${storage.location}`, {
    hint: 'delete old or incomplete backups (pgward delete, backup-list --all) and run backup-push again',
  });
}

/** Write a backup object once: an existing object of that key means the name is not this backup's. */
export async function putOnce(storage: Storage, key: string, body: Buffer): Promise<void> {
  if ((await storage.putIfAbsent(key, body)) === 'exists') {
    throw new ArchiveDuplicateError(`${storage.location}/${key} already exists: another backup wrote under this backup's name`, {
      hint: 'nothing was overwritten; run backup-push again (it claims a free name)',
    });
  }
}

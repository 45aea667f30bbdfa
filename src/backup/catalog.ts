// The backups in a repository: complete ones are those with a sentinel; a folder under
// basebackups_005/ without one is an incomplete backup (interrupted, failed, or still running).
import { IntegrityError, RestoreTargetError, UsageError } from '../errors/errors.js';
import { BACKUP_PREFIX, backupNameOfSentinel, backupObjectKey, sentinelKey } from '../repo/layout.js';
import { getBuffer, type Storage } from '../storage/storage.js';
import { chooseBackup, type ResolvedTarget } from './recovery-target.js';
import { latestLineage } from './target-lineage.js';
import { SENTINEL_FORMAT, MANIFEST_FORMAT, type BackupManifest, type BackupSentinel } from './manifest.js';
import { checkSentinel } from './record-check.js';

export interface BackupListing {
  complete: BackupSentinel[];
  incomplete: Array<{ name: string; objects: number; bytes: number }>;
}

function parseJson<T>(storage: Storage, key: string, body: Buffer | undefined, format: string): T {
  let value: { format?: string } | undefined;
  try {
    value = body ? (JSON.parse(body.toString('utf8')) as { format?: string }) : undefined;
  } catch {
    value = undefined;
  }
  if (!value || value.format !== format) {
    throw new IntegrityError(`${storage.location}/${key} is ${body ? 'damaged' : 'missing'}`, { hint: 'this backup cannot be used; take a new one' });
  }
  return value as T;
}

async function readJson<T>(storage: Storage, key: string, format: string): Promise<T> {
  return parseJson<T>(storage, key, await getBuffer(storage, key), format);
}

async function readSentinel(storage: Storage, name: string, body?: Buffer): Promise<BackupSentinel> {
  const key = sentinelKey(name);
  const value = parseJson<BackupSentinel>(storage, key, body ?? (await getBuffer(storage, key)), SENTINEL_FORMAT);
  return checkSentinel(value, name, `${storage.location}/${key}`);
}

export async function listBackups(storage: Storage): Promise<BackupListing> {
  const sentinels: string[] = [];
  const folders = new Map<string, { objects: number; bytes: number }>();
  for await (const item of storage.list(BACKUP_PREFIX)) {
    const name = backupNameOfSentinel(item.key);
    if (name) {
      sentinels.push(name);
      continue;
    }
    const folder = item.key.slice(BACKUP_PREFIX.length).split('/')[0]!;
    const entry = folders.get(folder) ?? { objects: 0, bytes: 0 };
    entry.objects++;
    entry.bytes += item.size;
    folders.set(folder, entry);
  }
  const complete: BackupSentinel[] = [];
  for (const name of sentinels) complete.push(await readSentinel(storage, name));
  complete.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
  const done = new Set(sentinels);
  const incomplete = [...folders.entries()].filter(([name]) => !done.has(name)).map(([name, info]) => ({ name, ...info }));
  return { complete, incomplete };
}

export async function findBackup(storage: Storage, nameOrLatest: string): Promise<BackupSentinel> {
  if (nameOrLatest === 'LATEST') {
    const { complete } = await listBackups(storage);
    const latest = complete.at(-1);
    if (!latest) throw new RestoreTargetError(`no complete backup in ${storage.location}`, { hint: 'take one with pgward backup-push; backup-list --all shows incomplete ones' });
    return latest;
  }
  // A name is one key segment: anything else would reach objects outside basebackups_005/.
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(nameOrLatest)) {
    throw new UsageError(`${JSON.stringify(nameOrLatest.slice(0, 200))} is not a backup name`, { hint: 'give a name that pgward backup-list shows, or LATEST' });
  }
  const body = await getBuffer(storage, sentinelKey(nameOrLatest));
  if (body === undefined) {
    throw new RestoreTargetError(`backup ${nameOrLatest} is not a complete backup in ${storage.location}`, { hint: 'pgward backup-list shows the complete backups' });
  }
  return readSentinel(storage, nameOrLatest, body);
}

/**
 * findBackup with a recovery target: LATEST becomes the newest backup that can reach a time or LSN
 * target along the timeline recovery will follow, and a named backup that cannot is refused.
 */
export async function findBackupFor(storage: Storage, nameOrLatest: string, target: ResolvedTarget): Promise<BackupSentinel> {
  if (target.kind === 'none' || target.kind === 'name') return findBackup(storage, nameOrLatest);
  const { complete } = await listBackups(storage);
  if (nameOrLatest !== 'LATEST') await findBackup(storage, nameOrLatest);
  if (complete.length === 0) return findBackup(storage, nameOrLatest);
  const lineage = await latestLineage(storage, Math.min(...complete.map((b) => b.timeline)));
  return chooseBackup(complete, nameOrLatest, target, lineage);
}

export function readManifest(storage: Storage, name: string): Promise<BackupManifest> {
  return readJson<BackupManifest>(storage, backupObjectKey(name, 'manifest.json'), MANIFEST_FORMAT);
}

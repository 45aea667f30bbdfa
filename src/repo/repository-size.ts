// How much a repository holds: WAL objects and backup objects (partitions, manifests, sentinels,
// verification records), counted from one listing of each prefix. A listing is the store's own
// accounting, so this is what the bill and the disk see, not what pgward thinks it wrote.
import type { Storage } from '../storage/storage.js';
import { BACKUP_PREFIX, WAL_PREFIX } from './layout.js';

export interface RepositorySize {
  wal: { objects: number; bytes: number };
  backups: { objects: number; bytes: number };
}

async function sizeOf(storage: Storage, prefix: string): Promise<{ objects: number; bytes: number }> {
  const size = { objects: 0, bytes: 0 };
  for await (const item of storage.list(prefix)) {
    size.objects++;
    size.bytes += item.size;
  }
  return size;
}

export async function repositorySize(storage: Storage): Promise<RepositorySize> {
  const [wal, backups] = await Promise.all([sizeOf(storage, WAL_PREFIX), sizeOf(storage, BACKUP_PREFIX)]);
  return { wal, backups };
}

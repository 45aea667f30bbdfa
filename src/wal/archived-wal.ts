// Finding a WAL file in the archive under any of the endings pgward, wal-e or WAL-G may have used:
// one listing of wal_005/<name> instead of a HEAD per possible ending.
import { methodOfExtension, READ_ORDER, type ReadMethod } from '../codec/compression.js';
import { parseWalKey, WAL_PREFIX } from '../repo/layout.js';
import type { Storage } from '../storage/storage.js';

export interface ArchivedWal {
  key: string;
  method: ReadMethod;
  size: number;
}

/** Every stored variant of `fileName`, best first (READ_ORDER). */
export async function findArchivedWal(storage: Storage, fileName: string): Promise<ArchivedWal[]> {
  const found: ArchivedWal[] = [];
  for await (const item of storage.list(`${WAL_PREFIX}${fileName}`)) {
    const parsed = parseWalKey(item.key);
    if (!parsed || parsed.fileName !== fileName) continue;
    const method = methodOfExtension(parsed.extension);
    if (method) found.push({ key: item.key, method, size: item.size });
  }
  return found.sort((a, b) => READ_ORDER.indexOf(a.method) - READ_ORDER.indexOf(b.method));
}

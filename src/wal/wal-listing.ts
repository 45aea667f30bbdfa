// Reading the archive's WAL listing once: the file names present and the segment size, which the
// newest segment object's metadata records (objects written by wal-e or WAL-G lack it: 16 MiB, the
// default, is assumed and said so).
import { parseWalKey, WAL_PREFIX } from '../repo/layout.js';
import type { Storage } from '../storage/storage.js';
import { META_SEGMENT_SIZE } from './wal-push.js';

export const DEFAULT_SEGMENT_SIZE = 16 * 1024 * 1024;

export interface WalListing {
  fileNames: Set<string>;
  /** the first key of each file name */
  keys: Map<string, string>;
  /** when the first key of each file name was stored, where the storage says */
  modified: Map<string, Date | undefined>;
  /** every WAL object key, all endings */
  allKeys: string[];
  segmentSize: number;
  segmentSizeKnown: boolean;
}

export async function listArchivedWal(storage: Storage): Promise<WalListing> {
  const fileNames = new Set<string>();
  const keys = new Map<string, string>();
  const modified = new Map<string, Date | undefined>();
  const allKeys: string[] = [];
  let newestSegmentKey: string | undefined;
  for await (const item of storage.list(WAL_PREFIX)) {
    const parsed = parseWalKey(item.key);
    if (!parsed) continue;
    fileNames.add(parsed.fileName);
    allKeys.push(item.key);
    if (!keys.has(parsed.fileName)) {
      keys.set(parsed.fileName, item.key);
      modified.set(parsed.fileName, item.lastModified);
    }
    if (/^[0-9A-F]{24}$/.test(parsed.fileName)) newestSegmentKey = item.key;
  }
  const recorded = newestSegmentKey ? Number((await storage.head(newestSegmentKey))?.metadata?.[META_SEGMENT_SIZE]) : NaN;
  const known = Number.isInteger(recorded) && recorded > 0;
  return { fileNames, keys, modified, allKeys, segmentSize: known ? recorded : DEFAULT_SEGMENT_SIZE, segmentSizeKnown: known };
}

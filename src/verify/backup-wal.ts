// The WAL a backup cannot be restored without: every segment from its start to its stop, on its
// timeline, present in the archive, decodable, equal to the sha256 recorded when it was archived, and
// carrying the right system identifier and address in its page header (what wal-fetch would check,
// without writing anything).
import { createHash } from 'node:crypto';
import { decompressBuffer } from '../codec/buffer-codec.js';
import { IntegrityError } from '../errors/errors.js';
import type { BackupSentinel } from '../backup/manifest.js';
import { getBuffer, type Storage } from '../storage/storage.js';
import { findArchivedWal } from '../wal/archived-wal.js';
import { checkSegment, parseWalPageHeader, WalHeaderError } from '../wal/page-header.js';
import { segmentName, segmentNumber } from '../wal/wal-file-name.js';
import { META_SHA256 } from '../wal/wal-push.js';

async function readSegment(storage: Storage, segment: string, backup: string): Promise<Buffer> {
  const candidate = (await findArchivedWal(storage, segment))[0];
  if (!candidate) {
    throw new IntegrityError(`WAL segment ${segment}, needed to restore ${backup}, is not in the archive ${storage.location}`, {
      hint: 'the backup cannot reach consistency without it: take a new backup (and check archiving with pgward check)',
    });
  }
  const where = `${storage.location}/${candidate.key}`;
  const info = await storage.head(candidate.key);
  const body = await getBuffer(storage, candidate.key);
  if (!info || !body) throw new IntegrityError(`WAL segment ${segment} (${where}) vanished while it was read`, { hint: 'check for a concurrent delete, then run backup-verify again' });
  const data = await decompressBuffer(body, candidate.method, where);
  const recorded = info.metadata?.[META_SHA256];
  if (recorded !== undefined && createHash('sha256').update(data).digest('hex') !== recorded) {
    throw new IntegrityError(`WAL segment ${segment} (${where}) does not match the sha256 recorded when it was archived`, { hint: 'the archived copy is corrupt; take a new backup' });
  }
  return data;
}

export interface WalOutcome {
  segments: string[];
  bytes: number;
}

export async function checkBackupWal(storage: Storage, sentinel: BackupSentinel): Promise<WalOutcome> {
  const first = await readSegment(storage, sentinel.walStart, sentinel.name);
  let segmentSize: number;
  try {
    segmentSize = parseWalPageHeader(first).segmentSize;
  } catch (err) {
    if (!(err instanceof WalHeaderError)) throw err;
    throw new IntegrityError(`WAL segment ${sentinel.walStart} is not a WAL segment: ${err.message}`, { hint: 'the archived copy is damaged; take a new backup' });
  }
  const segments: string[] = [];
  let bytes = 0;
  const stop = segmentNumber(sentinel.walStop, segmentSize);
  for (let segno = segmentNumber(sentinel.walStart, segmentSize); segno <= stop; segno++) {
    const segment = segmentName(sentinel.timeline, segno, segmentSize);
    const data = segment === sentinel.walStart ? first : await readSegment(storage, segment, sentinel.name);
    try {
      checkSegment(data, data.length, segment, sentinel.systemIdentifier);
    } catch (err) {
      if (!(err instanceof WalHeaderError)) throw err;
      throw new IntegrityError(`WAL segment ${segment} is not a WAL segment of this backup's cluster: ${err.message}`, { hint: 'the archive holds a wrong or damaged file under that name; take a new backup' });
    }
    segments.push(segment);
    bytes += data.length;
  }
  return { segments, bytes };
}

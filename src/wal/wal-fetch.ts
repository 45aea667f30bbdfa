// Restoring one WAL file for PostgreSQL, the body of restore_command. The file is verified (sha256
// recorded at archive time, and for segments the page header against this cluster's system
// identifier) and written under a temporary name, fsynced and renamed, so PostgreSQL never reads a
// partial or foreign file. "Not in the archive" is a WalNotInArchiveError (exit 1); every other failure
// is something else, because PostgreSQL takes exit 1 as the end of the archive.
import { createHash } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { writeDurableTemp } from '../storage/fs-durable.js';
import { decompressBuffer } from '../codec/buffer-codec.js';
import { IntegrityError, RestoreTargetError, UsageError, WalNotInArchiveError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { getBuffer, type Storage } from '../storage/storage.js';
import { findArchivedWal } from './archived-wal.js';
import { checkWalContent } from './wal-content.js';
import { parseWalFileName } from './wal-file-name.js';
import { META_SHA256 } from './wal-push.js';

export interface WalFetchContext {
  storage: Storage;
  /** the recovering cluster's system identifier (from its pg_control), when known */
  systemIdentifier?: string;
  log: Logger;
}

export interface WalFetchOutcome {
  key: string;
  size: number;
}

async function writeAtomically(destination: string, data: Buffer): Promise<void> {
  let temp: string | undefined;
  try {
    temp = await writeDurableTemp(destination, data);
    await rename(temp, destination);
  } catch (err) {
    if (temp) await rm(temp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw new RestoreTargetError(`cannot write ${destination}: ${code ?? String(err)}`, {
      hint: 'restore_command must run as the cluster owner, with %p relative to the data directory',
      cause: err,
    });
  }
}

export async function fetchWalFile(ctx: WalFetchContext, fileName: string, destination: string): Promise<WalFetchOutcome> {
  const file = parseWalFileName(fileName);
  if (!file) {
    throw new UsageError(`${JSON.stringify(fileName)} is not a WAL file name`, { hint: 'restore_command must pass %f and %p' });
  }
  // A listing is one answer from the store, and one damaged in transit can hide the segment while
  // still parsing. "Not in the archive" ends archive recovery at this point, so it is said only when
  // a second listing agrees; PostgreSQL's routine asks for files that do not exist cost one more LIST.
  const candidate = (await findArchivedWal(ctx.storage, fileName))[0] ?? (await findArchivedWal(ctx.storage, fileName))[0];
  if (!candidate) throw new WalNotInArchiveError(`${fileName} is not in the archive ${ctx.storage.location}`);
  const where = `${ctx.storage.location}/${candidate.key}`;
  const info = await ctx.storage.head(candidate.key);
  const body = await getBuffer(ctx.storage, candidate.key);
  if (!info || !body) throw new IntegrityError(`${where} vanished while it was being fetched`, { hint: 'retry; check for a concurrent delete' });
  const data = await decompressBuffer(body, candidate.method, where);
  const recorded = info.metadata?.[META_SHA256];
  if (recorded !== undefined && createHash('sha256').update(data).digest('hex') !== recorded) {
    throw new IntegrityError(`${where} does not match the checksum recorded when it was archived`, {
      hint: 'the archived copy is corrupt; recovery cannot safely use it',
    });
  }
  checkWalContent(file, data, ctx.systemIdentifier, where);
  await writeAtomically(destination, data);
  ctx.log.debug({ segment: fileName, key: candidate.key, size: data.length }, 'restored');
  return { key: candidate.key, size: data.length };
}

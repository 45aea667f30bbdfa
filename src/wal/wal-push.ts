// Archiving one WAL file, the body of archive_command. PostgreSQL trusts exit 0 to mean the file is
// safe, so success is returned only after the object is stored, read back by HEAD and found to have
// the expected size and checksum. An existing object of the same name is never overwritten: the same
// content is a harmless re-archive (PostgreSQL repeats itself after a crash), other content is refused.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { compressBuffer, decompressBuffer } from '../codec/buffer-codec.js';
import { EXTENSIONS, type ReadMethod, type WriteMethod } from '../codec/compression.js';
import type { ClusterFiles } from '../cluster/identity.js';
import { ArchiveDuplicateError, IntegrityError, UsageError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { walKey } from '../repo/layout.js';
import { ensureWriter } from '../repo/locations.js';
import { ensureStamp, stampIdentityOf } from '../repo/stamp.js';
import { getBuffer, type Storage } from '../storage/storage.js';
import { findArchivedWal } from './archived-wal.js';
import { checkWalContent } from './wal-content.js';
import { parseWalFileName } from './wal-file-name.js';

export const META_SHA256 = 'pgward-sha256';
export const META_SIZE = 'pgward-size';
export const META_SYSTEM_ID = 'pgward-system-identifier';
export const META_SEGMENT_SIZE = 'pgward-segment-size';

export interface WalPushContext {
  storage: Storage;
  cluster: ClusterFiles;
  compression: WriteMethod;
  log: Logger;
  /** the daemon checked this location at start and re-checks it periodically, not per segment */
  locationChecked?: boolean;
}

export type WalPushOutcome =
  | { status: 'archived'; key: string; size: number; storedSize: number }
  | { status: 'already-archived'; key: string };

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

async function readWalFile(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read WAL file ${path}: ${code ?? String(err)}`, {
      hint: code === 'ENOENT' ? 'archive_command passes %p, relative to the data directory it runs in' : 'run pgward as the cluster owner',
      cause: err,
    });
  }
}

/** The raw sha256 of an archived object: from its metadata, or by reading it (wal-e/WAL-G objects). */
async function archivedSha256(storage: Storage, key: string, method: ReadMethod): Promise<string | undefined> {
  const info = await storage.head(key);
  if (!info) return undefined;
  const recorded = info.metadata?.[META_SHA256];
  if (recorded) return recorded;
  const body = await getBuffer(storage, key);
  return body ? sha256(await decompressBuffer(body, method, `${storage.location}/${key}`)) : undefined;
}

async function compareWithArchived(ctx: WalPushContext, fileName: string, rawSha: string, key: string, method: ReadMethod): Promise<WalPushOutcome> {
  const archived = await archivedSha256(ctx.storage, key, method);
  if (archived === rawSha) {
    ctx.log.warn({ segment: fileName, key }, `${fileName} was already archived with the same content; nothing to do`);
    return { status: 'already-archived', key };
  }
  throw new ArchiveDuplicateError(`${fileName} is already archived as ${ctx.storage.location}/${key} with different content; the archived copy was left untouched`, {
    hint: 'two clusters may be archiving to one prefix, or the archive holds WAL from before a restore: investigate before deleting anything',
  });
}

export async function pushWalFile(ctx: WalPushContext, path: string): Promise<WalPushOutcome> {
  const fileName = basename(path);
  const file = parseWalFileName(fileName);
  if (!file) {
    throw new UsageError(`${JSON.stringify(fileName)} is not a WAL file name`, {
      hint: 'archive_command must pass %p: a segment, .partial, .backup or .history file from pg_wal',
    });
  }
  const data = await readWalFile(path);
  checkWalContent(file, data, ctx.cluster.systemIdentifier, path);
  // lz4/zstd/gzip compress on libuv's thread pool: hash on the main thread meanwhile.
  const compressing = compressBuffer(data, ctx.compression);
  compressing.catch(() => undefined);
  const rawSha = sha256(data);
  // Nothing is written to a repository stamped by another cluster, nor from a location (a restored
  // copy elsewhere) that is not registered to write into it (exit 4).
  await (ctx.locationChecked ? ensureStamp : ensureWriter)(ctx.storage, stampIdentityOf(ctx.cluster));

  const existing = (await findArchivedWal(ctx.storage, fileName))[0];
  if (existing) return compareWithArchived(ctx, fileName, rawSha, existing.key, existing.method);

  const stored = await compressing;
  const key = walKey(fileName, EXTENSIONS[ctx.compression]);
  const metadata: Record<string, string> = {
    [META_SHA256]: rawSha,
    [META_SIZE]: String(data.length),
    [META_SYSTEM_ID]: ctx.cluster.systemIdentifier,
  };
  if (file.kind === 'segment' || file.kind === 'partial') metadata[META_SEGMENT_SIZE] = String(data.length);
  const created = await ctx.storage.putIfAbsent(key, stored, { metadata });
  if (created === 'exists') return compareWithArchived(ctx, fileName, rawSha, key, ctx.compression);

  const check = await ctx.storage.head(key);
  if (!check || check.size !== stored.length || check.metadata?.[META_SHA256] !== rawSha) {
    throw new IntegrityError(`${ctx.storage.location}/${key} did not read back as written (size ${check?.size ?? 'none'}, expected ${stored.length})`, {
      hint: 'the storage did not keep what it acknowledged; PostgreSQL will retry this file',
    });
  }
  ctx.log.debug({ segment: fileName, key, size: data.length, storedSize: stored.length }, 'archived');
  return { status: 'archived', key, size: data.length, storedSize: stored.length };
}

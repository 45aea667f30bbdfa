// Archiving one WAL file, the body of archive_command. PostgreSQL trusts exit 0 to mean the file is
// safe, so success is returned only after the store accepted the bytes against their MD5 (and a HEAD
// found the metadata kept: see read-back.ts for how often). An existing valid object of the same name is never overwritten: the same
// content is a harmless re-archive (PostgreSQL repeats itself after a crash), other content is refused.
// An existing object that fails its own checksum (a cut-off upload) is replaced, conditionally.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { compressBuffer, decompressBuffer } from '../codec/buffer-codec.js';
import { EXTENSIONS, WRITE_METHODS, type ReadMethod, type WriteMethod } from '../codec/compression.js';
import type { ClusterFiles } from '../cluster/identity.js';
import { ArchiveDuplicateError, IntegrityError, StorageError, UsageError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { walKey } from '../repo/layout.js';
import { ensureWriter } from '../repo/locations.js';
import { stampIdentityOf } from '../repo/stamp.js';
import { getBuffer, type Storage } from '../storage/storage.js';
import { findArchivedWal } from './archived-wal.js';
import { ALWAYS_READ_BACK, type ReadBackPolicy } from './read-back.js';
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
  /**
   * The daemon checked the stamp and this location at start and re-checks them on a timer (and stops
   * serving on a mismatch): a segment then costs no stamp read.
   */
  locationChecked?: boolean;
  /** when to read an upload back (default: every time) */
  readBack?: ReadBackPolicy;
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

type ArchivedState =
  | { state: 'valid'; sha256: string }
  | { state: 'damaged'; why: string; etag?: string }
  | { state: 'gone' };

/**
 * What an archived copy holds, judged by its own checksum: the sha256 and size recorded in its
 * metadata against its decoded content (an object without them, as wal-e and WAL-G write, only has
 * to decode). A copy that fails is worthless (a cut-off upload some stores keep), not a duplicate.
 */
async function inspectArchived(storage: Storage, key: string, method: ReadMethod): Promise<ArchivedState> {
  const info = await storage.head(key);
  if (!info) return { state: 'gone' };
  const damaged = (why: string): ArchivedState => ({ state: 'damaged', why, ...(info.etag ? { etag: info.etag } : {}) });
  const body = await getBuffer(storage, key);
  if (!body) return { state: 'gone' };
  let data: Buffer;
  try {
    data = await decompressBuffer(body, method, `${storage.location}/${key}`);
  } catch (err) {
    if (err instanceof IntegrityError) return damaged(`it does not decode (${err.message})`);
    throw err;
  }
  const actual = sha256(data);
  const recordedSize = info.metadata?.[META_SIZE];
  if (recordedSize !== undefined && Number(recordedSize) !== data.length) return damaged(`it holds ${data.length} bytes, its metadata records ${recordedSize}`);
  const recorded = info.metadata?.[META_SHA256];
  if (recorded !== undefined && recorded !== actual) return damaged('its content does not match the sha256 in its metadata');
  return { state: 'valid', sha256: actual };
}

async function compareWithArchived(ctx: WalPushContext, fileName: string, data: Buffer, rawSha: string, key: string, method: ReadMethod, repairs = 1): Promise<WalPushOutcome> {
  const archived = await inspectArchived(ctx.storage, key, method);
  if (archived.state === 'valid' && archived.sha256 === rawSha) {
    ctx.log.warn({ segment: fileName, key }, `${fileName} was already archived with the same content; nothing to do`);
    return { status: 'already-archived', key };
  }
  if (archived.state === 'valid') {
    throw new ArchiveDuplicateError(`${fileName} is already archived as ${ctx.storage.location}/${key} with different content; the archived copy was left untouched`, {
      hint: 'two clusters may be archiving to one prefix, or the archive holds WAL from before a restore: investigate before deleting anything',
    });
  }
  if (archived.state === 'gone' || repairs === 0) {
    throw new StorageError(`${ctx.storage.location}/${key} changed while wal-push was checking it`, { hint: 'another writer is archiving this file at the same time; PostgreSQL will retry' });
  }
  // A damaged read may be the network's doing, not the store's: a copy is replaced only when a second
  // read of the same version (same ETag) agrees, so a valid copy is never overwritten on one read.
  const again = await inspectArchived(ctx.storage, key, method);
  if (again.state !== 'damaged' || again.etag !== archived.etag) return compareWithArchived(ctx, fileName, data, rawSha, key, method, 0);
  return repairDamaged(ctx, fileName, data, rawSha, key, method, archived, repairs);
}

/**
 * Replaces a damaged copy, only while it is still the version that was judged (If-Match): if another
 * writer stored something meanwhile, that is judged instead. Without this, one killed upload kept by
 * the store would fail every retry and stop archiving for good.
 */
async function repairDamaged(ctx: WalPushContext, fileName: string, data: Buffer, rawSha: string, key: string, method: ReadMethod, damaged: { why: string; etag?: string }, repairs: number): Promise<WalPushOutcome> {
  const where = `${ctx.storage.location}/${key}`;
  if (!(WRITE_METHODS as readonly string[]).includes(method) || damaged.etag === undefined) {
    throw new IntegrityError(`${where} is damaged (${damaged.why}) and pgward cannot replace it safely`, {
      hint: `remove ${where} after checking it is not needed elsewhere; PostgreSQL will then archive ${fileName} again`,
    });
  }
  ctx.log.warn({ segment: fileName, key, why: damaged.why }, `${where} is damaged (${damaged.why}), probably a cut-off upload: replacing it`);
  const stored = await compressBuffer(data, method as WriteMethod);
  const result = await ctx.storage.replace(key, stored, damaged.etag, { metadata: walMetadata(ctx, fileName, data, rawSha) });
  if (result === 'changed') return compareWithArchived(ctx, fileName, data, rawSha, key, method, repairs - 1);
  await readBack(ctx, key, stored.length, rawSha);
  return { status: 'archived', key, size: data.length, storedSize: stored.length };
}

function walMetadata(ctx: WalPushContext, fileName: string, data: Buffer, rawSha: string): Record<string, string> {
  const kind = parseWalFileName(fileName)?.kind;
  const metadata: Record<string, string> = {
    [META_SHA256]: rawSha,
    [META_SIZE]: String(data.length),
    [META_SYSTEM_ID]: ctx.cluster.systemIdentifier,
  };
  if (kind === 'segment' || kind === 'partial') metadata[META_SEGMENT_SIZE] = String(data.length);
  return metadata;
}

/**
 * The bytes were checked by the store (Content-MD5) or by their ETag; the HEAD checks what no body
 * checksum covers: that the store kept the metadata wal-fetch verifies against.
 */
async function readBack(ctx: WalPushContext, key: string, storedSize: number, rawSha: string, policy: ReadBackPolicy = ALWAYS_READ_BACK): Promise<void> {
  if (!policy.due()) return;
  const check = await ctx.storage.head(key);
  if (!check || check.size !== storedSize || check.metadata?.[META_SHA256] !== rawSha) {
    throw new IntegrityError(`${ctx.storage.location}/${key} did not read back as written (size ${check?.size ?? 'none'}, expected ${storedSize})`, {
      hint: 'the storage did not keep what it acknowledged; PostgreSQL will retry this file',
    });
  }
  policy.passed();
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
  if (!ctx.locationChecked) await ensureWriter(ctx.storage, stampIdentityOf(ctx.cluster));

  const existing = (await findArchivedWal(ctx.storage, fileName))[0];
  if (existing) return compareWithArchived(ctx, fileName, data, rawSha, existing.key, existing.method);

  const stored = await compressing;
  const key = walKey(fileName, EXTENSIONS[ctx.compression]);
  // The listing just found no variant: the conditional PUT alone closes the race (where the store
  // honours it), so no HEAD before it. Through the daemon a segment is a LIST and a PUT.
  const created = await ctx.storage.putIfAbsent(key, stored, { metadata: walMetadata(ctx, fileName, data, rawSha), checkedAbsent: true });
  if (created === 'exists') return compareWithArchived(ctx, fileName, data, rawSha, key, ctx.compression);
  await readBack(ctx, key, stored.length, rawSha, ctx.readBack);
  ctx.log.debug({ segment: fileName, key, size: data.length, storedSize: stored.length }, 'archived');
  return { status: 'archived', key, size: data.length, storedSize: stored.length };
}

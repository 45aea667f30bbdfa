// Restoring one partition: storage -> sha256 of the stored bytes -> decompression -> tar extraction,
// each file written with 'wx' (never through or over an existing entry), hashed as it is written and
// checked against the manifest. Only files and directories are taken from a tar, so no path written
// can pass through a link: containment is then a matter of the entry's name alone. A failure is classified by where it happened, not by its text: writing
// the target is a RestoreTargetError, reading the stored object a StorageError, and only a checksum,
// decoding or manifest mismatch an IntegrityError (which tells the operator the backup is bad).
import { chmod, lchown, mkdir, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { PassThrough, type Readable } from 'node:stream';
import { HashCounter } from '../codec/hash-counter.js';
import tar from 'tar-stream';
import { decompressionStream } from '../codec/streams.js';
import type { ReadMethod } from '../codec/compression.js';
import { IntegrityError, PgwardError, RestoreTargetError, StorageError } from '../errors/errors.js';
import type { ManifestFile, ManifestPartition } from './manifest.js';
import { onTarget } from './restore-target.js';
import { TargetFile } from './target-file.js';
import type { BufferReleaser } from './memory.js';

export interface Owner {
  uid: number;
  gid: number;
}

export interface ExtractContext {
  releaser?: BufferReleaser;
  /** maps a tar entry name to where it goes (data directory or a tablespace); throws for a name that climbs out */
  destinationOf(name: string): { path: string; root: string };
  files: Map<string, ManifestFile>;
  restored: Set<string>;
  owner?: Owner;
  onBytes?: (bytes: number) => void;
}

async function ensureParent(path: string, owner: Owner | undefined): Promise<void> {
  const created = await onTarget(dirname(path), () => mkdir(dirname(path), { recursive: true, mode: 0o700 }));
  if (created && owner) {
    for (let dir = dirname(path); dir.length >= created.length; dir = dirname(dir)) await onTarget(dir, () => lchown(dir, owner.uid, owner.gid));
  }
}

async function writeEntry(header: tar.Header, body: Readable, ctx: ExtractContext, where: string, stopped: AbortSignal): Promise<void> {
  // Links and special files are never created from a tar: a link planted by one entry would let a
  // later entry write or chmod through it, outside the target. The only links a data directory needs
  // (pg_tblspc/<oid>) are made by backup-fetch itself from the checked manifest, after extraction.
  if (header.type !== 'directory' && header.type !== 'file') {
    const link = header.linkname ? ` -> ${JSON.stringify(header.linkname.slice(0, 200))}` : '';
    throw new IntegrityError(`${where} holds a ${header.type} entry ${JSON.stringify(header.name.slice(0, 200))}${link}, which pgward never writes and does not restore`, {
      hint: 'the backup is damaged or was not written by pgward; nothing outside the restore target was touched; use another backup',
    });
  }
  const { path } = ctx.destinationOf(header.name);
  if (header.type === 'directory') {
    await onTarget(path, async () => {
      await mkdir(path, { recursive: true, mode: 0o700 });
      await chmod(path, (header.mode ?? 0o700) & 0o777);
      if (ctx.owner) await lchown(path, ctx.owner.uid, ctx.owner.gid);
    });
    body.resume();
    return;
  }
  const expected = ctx.files.get(header.name);
  if (!expected) throw new IntegrityError(`${where} holds ${header.name}, which the manifest does not list`, { hint: 'the backup is damaged or was altered' });
  await ensureParent(path, ctx.owner);
  // The extractor may have been destroyed while the parent was made: then open nothing.
  stopped.throwIfAborted();
  const tap = new HashCounter({
    onChunk: (bytes) => {
      ctx.onBytes?.(bytes);
      ctx.releaser?.add(bytes);
    },
  });
  // TargetFile types its own failures; an upstream failure reaches here as it was. The entry is a
  // streamx stream, which stream.pipeline cannot see close if it closed before the pipeline was made
  // (the extractor destroyed between the entry and here): `stopped` settles the pipeline then, and
  // destroys the TargetFile, which closes its descriptor.
  await pipeline(body, tap, new TargetFile(path, expected.mode & 0o777), { signal: stopped });
  if (tap.bytes !== expected.size || tap.digest() !== expected.sha256) {
    throw new IntegrityError(`${header.name} restored from ${where} does not match the manifest (size ${tap.bytes}, expected ${expected.size}, or its sha256)`, {
      hint: 'the backup is damaged; use another backup',
    });
  }
  await onTarget(path, async () => {
    if (ctx.owner) await lchown(path, ctx.owner.uid, ctx.owner.gid);
    await utimes(path, new Date(), new Date(expected.mtime));
  });
  ctx.restored.add(header.name);
}

/**
 * The target and tablespace locations were empty, and nothing but this backup's entries is written
 * into them: a name that already exists, or a parent that is a file, is the backup colliding with
 * itself (an entry twice, a file under a file), not a fault of the target.
 */
function collision(err: unknown, name: string, where: string): never {
  const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
  if (err instanceof RestoreTargetError && (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR')) {
    throw new IntegrityError(`${where} holds ${JSON.stringify(name.slice(0, 200))}, which collides with an earlier entry of the backup (${code})`, {
      hint: 'the backup is damaged or was not written by pgward; use another backup',
      cause: err,
    });
  }
  throw err;
}

export async function extractPartition(stored: Readable, partition: ManifestPartition, method: ReadMethod, ctx: ExtractContext, where: string): Promise<void> {
  const tap = new HashCounter();
  const extract = tar.extract();
  // The stored stream feeds the pipeline through a gate, so that its own errors are told apart from
  // those the pipeline pushes into every stream when something downstream fails (pipeline destroys
  // its source with the downstream error).
  let readFailure: unknown;
  const gate = new PassThrough();
  stored.on('error', (err) => {
    readFailure ??= err;
    gate.destroy(err);
  });
  stored.pipe(gate);
  // Aborted when the extractor closes without having finished (a failure anywhere destroys it), so
  // that every entry's write pipeline settles, whenever it was made.
  const stop = new AbortController();
  let finished = false;
  extract.once('finish', () => (finished = true));
  extract.once('close', () => {
    if (!finished) stop.abort(new Error(`extraction of ${where} stopped`));
  });
  const entries = (async () => {
    for await (const entry of extract) await writeEntry(entry.header, entry as unknown as Readable, ctx, where, stop.signal).catch((err: unknown) => collision(err, entry.header.name, where));
  })();
  const piped = pipeline(gate, tap, decompressionStream(method), extract as unknown as NodeJS.WritableStream);
  // Both settle: a failed write ends the loop, which destroys the extractor and so the pipeline; a
  // failed read or decode destroys the extractor, which ends the loop and aborts the entry's write.
  const [streamed, written] = await Promise.allSettled([piped, entries]);
  if (streamed.status === 'rejected' || written.status === 'rejected') {
    stored.unpipe(gate);
    stored.destroy();
    extract.destroy();
    throw classifyFailure(where, readFailure, written.status === 'rejected' ? written.reason : undefined, streamed.status === 'rejected' ? streamed.reason : undefined);
  }
  if (tap.bytes !== partition.storedSize || tap.digest() !== partition.storedSha256) {
    throw new IntegrityError(`${where} does not match its checksum in the manifest (${tap.bytes} bytes, expected ${partition.storedSize})`, {
      hint: 'the stored object is damaged; use another backup',
    });
  }
}

/**
 * One partition's failure, by mechanism: the stored stream erroring (connection reset, timeout, S3 or
 * disk error in the repository) is a storage failure that a retry may cure; a failure writing the
 * target has already been typed where it happened; what is left is the stored bytes failing to
 * decode or to match, the only case that condemns the backup.
 */
function classifyFailure(where: string, readFailure: unknown, writeFailure: unknown, streamFailure: unknown): PgwardError {
  if (readFailure !== undefined) {
    if (readFailure instanceof PgwardError) return readFailure;
    const e = readFailure as NodeJS.ErrnoException;
    return new StorageError(`reading ${where} failed: ${e.code ?? e.name ?? 'error'}${e.message ? ` (${e.message})` : ''}`, {
      hint: 'the repository connection or storage failed mid-stream, not the backup itself; check the repository and run backup-fetch again',
      cause: readFailure,
    });
  }
  for (const failure of [writeFailure, streamFailure]) if (failure instanceof PgwardError) return failure;
  const err = (streamFailure ?? writeFailure) as Error;
  return new IntegrityError(`${where} cannot be decoded: ${err?.message ?? String(err)}`, { hint: 'the stored object is damaged; use another backup', cause: err });
}

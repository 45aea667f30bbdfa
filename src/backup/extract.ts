// Restoring one partition: storage -> sha256 of the stored bytes -> decompression -> tar extraction,
// each file written with 'wx' (never through or over an existing entry), hashed as it is written and
// checked against the manifest. Only files and directories are taken from a tar, so no path written
// can pass through a link: containment is then a matter of the entry's name alone. A failure is classified by where it happened, not by its text: writing
// the target is a RestoreTargetError, reading the stored object a StorageError, and only a checksum,
// decoding or manifest mismatch an IntegrityError (which tells the operator the backup is bad).
import { pipeline } from 'node:stream/promises';
import { PassThrough, type Readable } from 'node:stream';
import { HashCounter } from '../codec/hash-counter.js';
import tar from 'tar-stream';
import { decompressionStream } from '../codec/streams.js';
import type { ReadMethod } from '../codec/compression.js';
import { IntegrityError, PgwardError, RestoreTargetError, StorageError } from '../errors/errors.js';
import type { ManifestFile, ManifestPartition } from './manifest.js';
import type { BufferReleaser } from './memory.js';
import type { RestoreWriter } from './restore-writer.js';

export interface Owner {
  uid: number;
  gid: number;
}

export interface ExtractContext {
  writer: RestoreWriter;
  /** the writer's ring this extraction copies into (one per partition extracted at once) */
  lane: number;
  releaser?: BufferReleaser;
  /** maps a tar entry name to where it goes (data directory or a tablespace); throws for a name that climbs out */
  destinationOf(name: string): { path: string; root: string };
  files: Map<string, ManifestFile>;
  restored: Set<string>;
  onBytes?: (bytes: number) => void;
}

async function writeEntry(header: tar.Header, body: Readable, ctx: ExtractContext, where: string, stopped: AbortSignal, background: (finishing: Promise<void>) => void): Promise<void> {
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
    await ctx.writer.makeDirectory(path, header.mode ?? 0o700);
    body.resume();
    return;
  }
  const expected = ctx.files.get(header.name);
  if (!expected) throw new IntegrityError(`${where} holds ${header.name}, which the manifest does not list`, { hint: 'the backup is damaged or was altered' });
  await ctx.writer.ensureParent(path);
  // The extractor may have been destroyed while the parent was made: then open nothing.
  stopped.throwIfAborted();
  const file = await ctx.writer.create(path, expected.mode & 0o777, ctx.lane);
  try {
    // An entry destroyed before its end (the extractor failed) rejects here; one cut short would
    // otherwise look like a file that does not match the manifest.
    for await (const chunk of body as AsyncIterable<Buffer>) {
      await file.write(chunk);
      ctx.onBytes?.(chunk.length);
      ctx.releaser?.add(chunk.length);
    }
    stopped.throwIfAborted();
  } catch (err) {
    background(file.abandon());
    throw err;
  }
  // Finished in the background (open, writes, owner, mtime, close, digest) while the next entry is read.
  background(
    file.finish(new Date(expected.mtime)).then(({ bytes, sha256 }) => {
      if (bytes !== expected.size || sha256 !== expected.sha256) {
        throw new IntegrityError(`${header.name} restored from ${where} does not match the manifest (size ${bytes}, expected ${expected.size}, or its sha256)`, {
          hint: 'the backup is damaged; use another backup',
        });
      }
      ctx.restored.add(header.name);
    }, (err: unknown) => collision(err, header.name, where)),
  );
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
  // Files finishing in the background; a failed one stops the extraction at its next entry.
  const finishing: Array<Promise<void>> = [];
  let finishFailure: unknown;
  const background = (started: Promise<void>): void => {
    finishing.push(started);
    started.catch((err: unknown) => (finishFailure ??= err));
  };
  const entries = (async () => {
    try {
      for await (const entry of extract) {
        if (finishFailure !== undefined) throw finishFailure;
        await writeEntry(entry.header, entry as unknown as Readable, ctx, where, stop.signal, background).catch((err: unknown) => collision(err, entry.header.name, where));
      }
    } finally {
      // Nothing is left writing when the extraction reports, so a failed restore can remove it all.
      await Promise.allSettled(finishing);
    }
    if (finishFailure !== undefined) throw finishFailure;
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

// Restoring one partition: storage -> sha256 of the stored bytes -> decompression -> tar extraction,
// each file written with 'wx' (never through or over an existing entry), hashed as it is written and
// checked against the manifest. Any mismatch is an IntegrityError naming the object or the file.
import { createWriteStream } from 'node:fs';
import { chmod, lchown, mkdir, symlink, utimes } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { HashCounter } from '../codec/hash-counter.js';
import tar from 'tar-stream';
import { decompressionStream } from '../codec/streams.js';
import type { ReadMethod } from '../codec/compression.js';
import { IntegrityError } from '../errors/errors.js';
import type { ManifestFile, ManifestPartition } from './manifest.js';
import { checkLinkInside } from './restore-target.js';
import type { BufferReleaser } from './memory.js';

export interface Owner {
  uid: number;
  gid: number;
}

export interface ExtractContext {
  releaser?: BufferReleaser;
  /** maps a tar entry name to where it goes (data directory or a tablespace), checking containment */
  destinationOf(name: string): { path: string; root: string };
  files: Map<string, ManifestFile>;
  restored: Set<string>;
  owner?: Owner;
  onBytes?: (bytes: number) => void;
}

async function ensureParent(path: string, owner: Owner | undefined): Promise<void> {
  const created = await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  if (created && owner) {
    for (let dir = dirname(path); dir.length >= created.length; dir = dirname(dir)) await lchown(dir, owner.uid, owner.gid);
  }
}

async function writeEntry(header: tar.Header, body: Readable, ctx: ExtractContext, where: string): Promise<void> {
  const { path, root } = ctx.destinationOf(header.name);
  if (header.type === 'directory') {
    await mkdir(path, { recursive: true, mode: 0o700 });
    await chmod(path, header.mode ?? 0o700);
    if (ctx.owner) await lchown(path, ctx.owner.uid, ctx.owner.gid);
    body.resume();
    return;
  }
  if (header.type === 'symlink') {
    checkLinkInside(root, path, header.linkname ?? '');
    await ensureParent(path, ctx.owner);
    await symlink(header.linkname!, path);
    if (ctx.owner) await lchown(path, ctx.owner.uid, ctx.owner.gid);
    body.resume();
    return;
  }
  if (header.type !== 'file') throw new IntegrityError(`${where} holds an unexpected ${header.type} entry ${header.name}`, { hint: 'the backup is damaged' });
  const expected = ctx.files.get(header.name);
  if (!expected) throw new IntegrityError(`${where} holds ${header.name}, which the manifest does not list`, { hint: 'the backup is damaged or was altered' });
  await ensureParent(path, ctx.owner);
  const tap = new HashCounter({
    onChunk: (bytes) => {
      ctx.onBytes?.(bytes);
      ctx.releaser?.add(bytes);
    },
  });
  await pipeline(body, tap, createWriteStream(path, { flags: 'wx', mode: expected.mode & 0o777, highWaterMark: 8 * 1024 * 1024 }));
  if (tap.bytes !== expected.size || tap.digest() !== expected.sha256) {
    throw new IntegrityError(`${header.name} restored from ${where} does not match the manifest (size ${tap.bytes}, expected ${expected.size}, or its sha256)`, {
      hint: 'the backup is damaged; remove the partly restored target and use another backup',
    });
  }
  if (ctx.owner) await lchown(path, ctx.owner.uid, ctx.owner.gid);
  await utimes(path, new Date(), new Date(expected.mtime));
  ctx.restored.add(header.name);
}

export async function extractPartition(stored: Readable, partition: ManifestPartition, method: ReadMethod, ctx: ExtractContext, where: string): Promise<void> {
  const tap = new HashCounter();
  const extract = tar.extract();
  const entries = (async () => {
    for await (const entry of extract) await writeEntry(entry.header, entry as unknown as Readable, ctx, where);
  })();
  try {
    await Promise.all([pipeline(stored, tap, decompressionStream(method), extract as unknown as NodeJS.WritableStream), entries]);
  } catch (err) {
    extract.destroy();
    if (err instanceof IntegrityError || (err as { code?: string }).code === 'RESTORE_TARGET_UNUSABLE') throw err;
    throw new IntegrityError(`${where} cannot be read: ${(err as Error).message}`, { hint: 'the stored object is damaged; use another backup', cause: err });
  }
  if (tap.bytes !== partition.storedSize || tap.digest() !== partition.storedSha256) {
    throw new IntegrityError(`${where} does not match its checksum in the manifest (${tap.bytes} bytes, expected ${partition.storedSize})`, {
      hint: 'the stored object is damaged; remove the partly restored target and use another backup',
    });
  }
}

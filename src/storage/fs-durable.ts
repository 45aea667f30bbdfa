// The filesystem primitives that make a put durable: write to a temporary name in the same folder,
// fsync the file, then rename (or link, to refuse an existing name) and fsync the folder so the new
// directory entry survives a crash.
import { randomBytes } from 'node:crypto';
import { chown, mkdir, open, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { createWriteStream } from 'node:fs';

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
}

const TEMP_NAME = /^\.(.+)\.tmp-[0-9a-f]{12}$/;

/** For a temporary file's name, the name of the file it was to become; undefined for other names. */
export function targetOfTempName(name: string): string | undefined {
  return TEMP_NAME.exec(name)?.[1];
}

export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export interface Owner {
  uid: number;
  gid: number;
}

/** mkdir -p, then fsync every folder it created's parent so the new entries are durable. */
export async function ensureDir(dir: string, owner?: Owner): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  for (let current = dir; current.length >= first.length; current = dirname(current)) {
    if (owner) await chown(current, owner.uid, owner.gid);
    await fsyncPath(dirname(current));
    if (current === first) break;
  }
}

export async function writeDurableTemp(finalPath: string, body: Buffer | Readable, owner?: Owner): Promise<string> {
  const temp = tempPathFor(finalPath);
  try {
    if (Buffer.isBuffer(body)) {
      const handle = await open(temp, 'wx', 0o640);
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } else {
      await pipeline(body, createWriteStream(temp, { flags: 'wx', mode: 0o640 }));
      await fsyncPath(temp);
    }
    if (owner) await chown(temp, owner.uid, owner.gid);
    return temp;
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

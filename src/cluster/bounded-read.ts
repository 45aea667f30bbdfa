// Reading a data directory's small identity files (PG_VERSION, global/pg_control, postmaster.pid)
// with a size bound. A file replaced by a symlink to /dev/zero or /dev/urandom, or by a FIFO, would
// otherwise make a plain readFile() run or block forever: only a regular file is read, opened
// non-blocking, and never more than the bound plus one byte.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';

/** Thrown for a path that exists but is not a regular file of a plausible size. */
export class NotARegularFileError extends Error {
  constructor(
    readonly path: string,
    readonly problem: 'not-regular' | 'too-large',
    message: string,
  ) {
    super(message);
  }
}

export async function readBounded(path: string, maxBytes: number): Promise<Buffer> {
  // O_NONBLOCK: opening a FIFO for reading must not wait for a writer. Errors (ENOENT, EACCES,
  // ELOOP for a symlink loop) reach the caller with their errno code.
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) {
      throw new NotARegularFileError(path, 'not-regular', `${path} is not a regular file (a device, FIFO or socket in its place)`);
    }
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) {
      throw new NotARegularFileError(path, 'too-large', `${path} is larger than ${maxBytes} bytes, far more than such a file holds`);
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

// A file of the restore target as a Writable whose own failures (open, write, close: ENOSPC, EDQUOT,
// EIO...) are RestoreTargetErrors naming the path. An error that stream.pipeline pushes into it
// because something upstream failed (a damaged or interrupted partition) stays what it was: the
// classification follows the mechanism, not the order in which streams report.
import { open, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { targetError } from './restore-target.js';

export class TargetFile extends Writable {
  private handle?: FileHandle;

  constructor(
    readonly path: string,
    private readonly mode: number,
  ) {
    super({ highWaterMark: 8 * 1024 * 1024 });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    // 'wx': never through or over an existing entry (a link planted in the target, a duplicate).
    open(this.path, 'wx', this.mode).then(
      (handle) => {
        this.handle = handle;
        callback();
      },
      (err: unknown) => callback(targetError(this.path, err)),
    );
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writeAll(chunk).then(() => callback(), (err: unknown) => callback(targetError(this.path, err)));
  }

  // Chunks that arrived while a write was in flight go out in one writev: tar entries arrive in reads
  // of the decoder's pipe (64 KiB), and one thread-pool round trip each would bound the restore.
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.writeAllV(chunks.map((c) => c.chunk)).then(() => callback(), (err: unknown) => callback(targetError(this.path, err)));
  }

  private async writeAll(chunk: Buffer): Promise<void> {
    for (let offset = 0; offset < chunk.length; ) offset += (await this.handle!.write(chunk, offset)).bytesWritten;
  }

  private async writeAllV(buffers: Buffer[]): Promise<void> {
    const total = buffers.reduce((sum, b) => sum + b.length, 0);
    const written = (await this.handle!.writev(buffers)).bytesWritten;
    // A short writev (a full disk reports ENOSPC on the retry): finish the rest chunk by chunk.
    if (written < total) await this.writeAll(Buffer.concat(buffers).subarray(written));
  }

  override _final(callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = undefined;
    (handle ? handle.close() : Promise.resolve()).then(() => callback(), (err: unknown) => callback(targetError(this.path, err)));
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.handle;
    this.handle = undefined;
    (handle ? handle.close() : Promise.resolve()).then(
      () => callback(error),
      () => callback(error),
    );
  }
}

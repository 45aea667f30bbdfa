// A pass-through stream that counts the bytes going through it and, when asked, hashes them
// (sha256): partition and file checksums are computed as the data streams, never by re-reading.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

export class HashCounter extends Transform {
  bytes = 0;
  private readonly hash?: Hash;

  constructor(options: { hashing?: boolean; onChunk?: (bytes: number) => void } = {}) {
    super();
    if (options.hashing !== false) this.hash = createHash('sha256');
    this.onChunk = options.onChunk;
  }

  private readonly onChunk?: (bytes: number) => void;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    this.hash?.update(chunk);
    this.onChunk?.(chunk.length);
    done(null, chunk);
  }

  digest(): string {
    if (!this.hash) throw new Error('HashCounter created without hashing');
    return this.hash.digest('hex');
  }
}

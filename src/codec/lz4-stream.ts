// Streaming LZ4 for base backups. lz4-napi compresses whole buffers on libuv's thread pool, so the
// stream is cut into chunks, each compressed into its own LZ4 frame: concatenated frames are a valid
// LZ4 stream (`lz4 -d` reads them). Up to `parallel` chunks compress at once while the main thread
// keeps reading and hashing files; output stays in order, and a full queue holds back the writer,
// so memory is bounded by chunk size x (parallel + 1).
import { Transform, type TransformCallback } from 'node:stream';

const FRAME_MAGIC = 0x184d2204;
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

export interface Lz4StreamOptions {
  chunkSize?: number;
  parallel?: number;
}

type Lz4 = typeof import('lz4-napi');
let lz4: Promise<Lz4> | undefined;
const loadLz4 = (): Promise<Lz4> => (lz4 ??= import('lz4-napi'));

/** Runs async jobs with at most `limit` in flight, pushing results in submission order. */
abstract class OrderedParallelTransform extends Transform {
  private readonly pending: Array<Promise<Buffer>> = [];
  constructor(private readonly limit: number) {
    super();
  }

  protected submit(job: Promise<Buffer>, done: TransformCallback): void {
    job.catch(() => undefined);
    this.pending.push(job);
    if (this.pending.length < this.limit) return done();
    this.drainOne().then(() => done(), done);
  }

  private async drainOne(): Promise<void> {
    const next = this.pending.shift();
    if (next) this.push(await next);
  }

  protected async drainAll(): Promise<void> {
    while (this.pending.length) await this.drainOne();
  }
}

export class Lz4FrameEncoder extends OrderedParallelTransform {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly chunkSize: number;

  constructor(options: Lz4StreamOptions = {}) {
    super(options.parallel ?? 2);
    this.chunkSize = options.chunkSize ?? 1024 * 1024;
  }

  private compress(data: Buffer): Promise<Buffer> {
    return loadLz4().then(({ compressFrame }) => compressFrame(data, { contentChecksum: true }));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered < this.chunkSize) return done();
    const data = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    this.submit(this.compress(data), done);
  }

  override _flush(done: TransformCallback): void {
    const rest = this.buffered ? this.compress(Buffer.concat(this.chunks)) : undefined;
    this.chunks = [];
    (async () => {
      await this.drainAll();
      if (rest) this.push(await rest);
    })().then(() => done(), done);
  }
}

/**
 * Length of the complete frame at the start of `buf`, or undefined if more bytes are needed; then
 * `need.bytes` says how many bytes the parse needs at least before trying again.
 */
export function frameLength(buf: Buffer, need: { bytes: number } = { bytes: 0 }): number | undefined {
  need.bytes = 7;
  if (buf.length < 4) return undefined;
  const magic = buf.readUInt32LE(0);
  if ((magic & SKIPPABLE_MASK) === SKIPPABLE_MAGIC) {
    return buf.length < 8 ? undefined : 8 + buf.readUInt32LE(4) <= buf.length ? 8 + buf.readUInt32LE(4) : undefined;
  }
  if (magic !== FRAME_MAGIC) throw new Error(`not an LZ4 frame (magic 0x${magic.toString(16)})`);
  if (buf.length < 7) return undefined;
  const flags = buf[4]!;
  const blockChecksum = (flags & 0x10) !== 0;
  const contentSize = (flags & 0x08) !== 0;
  const contentChecksum = (flags & 0x04) !== 0;
  const dictId = (flags & 0x01) !== 0;
  let offset = 4 + 2 + (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1;
  for (;;) {
    need.bytes = offset + 4;
    if (buf.length < offset + 4) return undefined;
    const blockSize = buf.readUInt32LE(offset) & 0x7fffffff;
    offset += 4;
    if (blockSize === 0) break;
    offset += blockSize + (blockChecksum ? 4 : 0);
  }
  offset += contentChecksum ? 4 : 0;
  need.bytes = offset;
  return offset <= buf.length ? offset : undefined;
}

export class Lz4FrameDecoder extends OrderedParallelTransform {
  // Input arrives in small reads; they are joined only once enough bytes are there to make progress,
  // so each frame is copied about once instead of once per read.
  private buffer: Buffer = Buffer.alloc(0);
  private pendingChunks: Buffer[] = [];
  private pendingBytes = 0;
  private needed = 7;

  constructor(options: Lz4StreamOptions = {}) {
    super(options.parallel ?? 2);
  }

  private decode(frame: Buffer): Promise<Buffer> {
    return loadLz4().then(({ decompressFrame }) => decompressFrame(frame));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.pendingChunks.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.buffer.length + this.pendingBytes < this.needed) return done();
    this.buffer = Buffer.concat([this.buffer, ...this.pendingChunks]);
    this.pendingChunks = [];
    this.pendingBytes = 0;
    this.nextFrame(done);
  }

  private nextFrame(done: TransformCallback): void {
    let length: number | undefined;
    const need = { bytes: 0 };
    try {
      length = frameLength(this.buffer, need);
    } catch (err) {
      return done(err as Error);
    }
    if (length === undefined) {
      this.needed = need.bytes;
      return done();
    }
    this.needed = 7;
    const frame = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    const isSkippable = (frame.readUInt32LE(0) & SKIPPABLE_MASK) === SKIPPABLE_MAGIC;
    this.submit(isSkippable ? Promise.resolve(Buffer.alloc(0)) : this.decode(Buffer.from(frame)), (err) => (err ? done(err) : this.nextFrame(done)));
  }

  override _flush(done: TransformCallback): void {
    if (this.pendingBytes) {
      this.buffer = Buffer.concat([this.buffer, ...this.pendingChunks]);
      this.pendingChunks = [];
      this.pendingBytes = 0;
      if (frameLength(this.buffer) !== undefined) return this.nextFrame((err) => (err ? done(err) : this._flush(done)));
    }
    if (this.buffer.length) return done(new Error(`LZ4 stream ends inside a frame (${this.buffer.length} bytes left)`));
    this.drainAll().then(() => done(), done);
  }
}

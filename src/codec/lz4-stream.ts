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
    // A file's 1 MiB reads mostly arrive alone: compressed as they are, not copied into a new buffer
    // (nothing writes to a chunk once it is written to the stream).
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
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

/** Bytes held as a list of chunks, read at any offset without joining them. */
class ChunkList {
  chunks: Buffer[] = [];
  length = 0;
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }
  byteAt(offset: number): number {
    for (const chunk of this.chunks) {
      if (offset < chunk.length) return chunk[offset]!;
      offset -= chunk.length;
    }
    throw new RangeError('offset past the end');
  }
  uint32At(offset: number): number {
    return (this.byteAt(offset) | (this.byteAt(offset + 1) << 8) | (this.byteAt(offset + 2) << 16) | (this.byteAt(offset + 3) << 24)) >>> 0;
  }
  /** Remove and return the first `count` bytes as one buffer. */
  take(count: number): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const head = joined.subarray(0, count);
    const rest = joined.subarray(count);
    this.chunks = rest.length ? [rest] : [];
    this.length = rest.length;
    return head;
  }
}

/**
 * Finds where LZ4 frames end in a stream of chunks, walking block headers without joining the bytes.
 * State is kept between calls, so each byte is looked at about once however the input is split.
 */
class FrameScanner {
  /** offset of the next block header of the current frame, or undefined before its header */
  private cursor?: number;
  private flags = 0;

  /** Length of the frame at the start of `input` once it is complete, else undefined. */
  scan(input: ChunkList): number | undefined {
    if (this.cursor === undefined) {
      if (input.length < 7) return undefined;
      const magic = input.uint32At(0);
      if ((magic & SKIPPABLE_MASK) === SKIPPABLE_MAGIC) {
        if (input.length < 8) return undefined;
        const size = 8 + input.uint32At(4);
        return input.length >= size ? size : undefined;
      }
      if (magic !== FRAME_MAGIC) throw new Error(`not an LZ4 frame (magic 0x${magic.toString(16)})`);
      this.flags = input.byteAt(4);
      this.cursor = 4 + 2 + (this.flags & 0x08 ? 8 : 0) + (this.flags & 0x01 ? 4 : 0) + 1;
    }
    const blockChecksum = this.flags & 0x10 ? 4 : 0;
    const contentChecksum = this.flags & 0x04 ? 4 : 0;
    let cursor: number = this.cursor;
    while (input.length >= cursor + 4) {
      const blockSize = input.uint32At(cursor) & 0x7fffffff;
      if (blockSize === 0) {
        this.cursor = cursor;
        const end = cursor + 4 + contentChecksum;
        if (input.length < end) return undefined;
        this.cursor = undefined;
        return end;
      }
      const next: number = cursor + 4 + blockSize + blockChecksum;
      if (input.length < next) break;
      cursor = next;
    }
    this.cursor = cursor;
    return undefined;
  }
}

/** Length of the complete frame at the start of `buf`, or undefined if more bytes are needed. */
export function frameLength(buf: Buffer): number | undefined {
  const input = new ChunkList();
  input.push(buf);
  return new FrameScanner().scan(input);
}

export class Lz4FrameDecoder extends OrderedParallelTransform {
  // Input arrives in reads of any size; block headers are walked across the pending chunks and the
  // bytes are joined once per frame, when the whole frame is there.
  private readonly input = new ChunkList();
  private readonly scanner = new FrameScanner();

  constructor(options: Lz4StreamOptions = {}) {
    super(options.parallel ?? 2);
  }

  private decode(frame: Buffer): Promise<Buffer> {
    return loadLz4().then(({ decompressFrame }) => decompressFrame(frame));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.input.push(chunk);
    this.nextFrame(done);
  }

  private nextFrame(done: TransformCallback): void {
    let length: number | undefined;
    try {
      length = this.scanner.scan(this.input);
    } catch (err) {
      return done(err as Error);
    }
    if (length === undefined) return done();
    const frame = this.input.take(length);
    const isSkippable = (frame.readUInt32LE(0) & SKIPPABLE_MASK) === SKIPPABLE_MAGIC;
    this.submit(isSkippable ? Promise.resolve(Buffer.alloc(0)) : this.decode(frame), (err) => (err ? done(err) : this.nextFrame(done)));
  }

  override _flush(done: TransformCallback): void {
    if (this.input.length) return done(new Error(`LZ4 stream ends inside a frame (${this.input.length} bytes left)`));
    this.drainAll().then(() => done(), done);
  }
}

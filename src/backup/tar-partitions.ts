// Writes backup entries as tar partitions: tar (tar-stream) -> compression -> storage, each
// partition one object (tar_partitions/part_00000001.tar.lz4), cut once it holds `partitionSize`
// bytes of tar. A file's bytes are read once: hashed for the manifest and streamed on. Files that
// change while they are copied are handled as PostgreSQL's base backup does (WAL replay repairs
// them): one that shrank is padded with zeros, one that grew is cut at the size read when opening,
// one that vanished is left out.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { once } from 'node:events';
import { pipeline } from 'node:stream';
import { HashCounter } from '../codec/hash-counter.js';
import tar from 'tar-stream';
import { compressionStream } from '../codec/streams.js';
import { EXTENSIONS, type WriteMethod } from '../codec/compression.js';
import type { Storage } from '../storage/storage.js';
import { partitionKey } from '../repo/layout.js';
import type { ManifestFile, ManifestPartition } from './manifest.js';
import { unreadableEntry, type BackupEntry } from './walk.js';
import { BufferReleaser } from './memory.js';

const READ_CHUNK = 1024 * 1024;

interface ReadChunk {
  want: number;
  buffer: Buffer;
  bytesRead: number;
}

export interface PartitionWriterOptions {
  storage: Storage;
  backupName: string;
  compression: WriteMethod;
  partitionSize: number;
  /** called with the file bytes copied so far (for progress) */
  onBytes?: (bytes: number) => void;
  /** checked between reads: true stops the backup (SIGTERM) */
  shouldStop?: () => boolean;
}

interface OpenPartition {
  number: number;
  key: string;
  pack: tar.Pack;
  raw: HashCounter;
  stored: HashCounter;
  upload: Promise<void>;
  files: number;
}

export class StopRequested extends Error {}

export class PartitionWriter {
  private current?: OpenPartition;
  private readonly finishing: Array<Promise<ManifestPartition>> = [];
  private next = 1;
  private readonly releaser = new BufferReleaser();

  constructor(private readonly options: PartitionWriterOptions) {}

  get partitionNumber(): number {
    return this.current?.number ?? this.next - 1;
  }

  private openPartition(): OpenPartition {
    const number = this.next++;
    const key = partitionKey(this.options.backupName, number, EXTENSIONS[this.options.compression]);
    const pack = tar.pack();
    const raw = new HashCounter({ hashing: false });
    const stored = new HashCounter();
    let failure: Error | undefined;
    const body = pipeline(pack, raw, compressionStream(this.options.compression), stored, (err) => {
      if (err) failure = err;
    });
    const upload = this.options.storage.put(key, body).then(() => {
      if (failure) throw failure;
    });
    upload.catch(() => undefined);
    return { number, key, pack, raw, stored, upload, files: 0 };
  }

  private async closePartition(partition: OpenPartition): Promise<ManifestPartition> {
    partition.pack.finalize();
    await partition.upload;
    return { number: partition.number, key: partition.key, rawSize: partition.raw.bytes, storedSize: partition.stored.bytes, storedSha256: partition.stored.digest(), files: partition.files };
  }

  private partition(): OpenPartition {
    if (this.current && this.current.raw.bytes >= this.options.partitionSize) {
      // Keep at most two partitions uploading: the one finishing and the one being filled.
      this.finishing.push(this.closePartition(this.current));
      this.current = undefined;
    }
    return (this.current ??= this.openPartition());
  }

  async add(entry: BackupEntry): Promise<ManifestFile | undefined> {
    if (this.options.shouldStop?.()) throw new StopRequested('stop requested');
    if (this.finishing.length > 1) await this.finishing[this.finishing.length - 2];
    const partition = this.partition();
    try {
      return await this.addTo(partition, entry);
    } catch (err) {
      // A failed upload tears the tar stream down from downstream, and the next write fails with
      // tar-stream's "already finalized or destroyed": the upload's own error says what went wrong.
      if (!partition.pack.destroying) throw err;
      throw (await partition.upload.then(() => undefined, (failure: unknown) => failure)) ?? err;
    }
  }

  private async addTo(partition: OpenPartition, entry: BackupEntry): Promise<ManifestFile | undefined> {
    const header: Partial<tar.Header> = { name: entry.name, mode: entry.mode, mtime: entry.mtime, uname: 'postgres', gname: 'postgres' };
    if (entry.type === 'directory') {
      await this.writeEntry(partition, { ...header, type: 'directory' });
      return undefined;
    }
    if (entry.type === 'symlink') {
      await this.writeEntry(partition, { ...header, type: 'symlink', linkname: entry.linkTarget });
      return undefined;
    }
    return this.addFile(partition, entry, header);
  }

  private writeEntry(partition: OpenPartition, header: Partial<tar.Header>): Promise<void> {
    return new Promise((resolve, reject) => {
      partition.pack.entry(header as tar.Header, (err) => (err ? reject(err) : resolve()));
    });
  }

  private async addFile(partition: OpenPartition, entry: BackupEntry, header: Partial<tar.Header>): Promise<ManifestFile | undefined> {
    let handle;
    try {
      handle = await open(entry.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw unreadableEntry(entry.path, err);
    }
    try {
      const size = (await handle.stat()).size;
      const hash = createHash('sha256');
      let done!: () => void;
      let failed!: (err: Error) => void;
      const written = new Promise<void>((resolve, reject) => ((done = resolve), (failed = reject)));
      // Awaited below on the normal path; when the copy stops early, abort() rejects it unobserved.
      written.catch(() => undefined);
      const stream = partition.pack.entry({ ...header, type: 'file', size } as tar.Header, (err) => (err ? failed(err) : done()));
      // Failures arrive through the callback; an 'error' event without a listener would crash the
      // process when abort() tears the tar stream down mid-file.
      stream.on('error', () => undefined);
      // One read ahead: the next chunk is read on the thread pool while this one is hashed and
      // streamed, instead of the main thread waiting for each read in turn.
      const readAt = (at: number): Promise<ReadChunk> => {
        const want = Math.min(READ_CHUNK, size - at);
        const buffer = Buffer.allocUnsafe(want);
        const read = handle!.read(buffer, 0, want, at).then(
          ({ bytesRead }) => ({ want, buffer, bytesRead }),
          (err: unknown) => {
            throw unreadableEntry(entry.path, err);
          },
        );
        // Awaited in the loop; when the copy stops early, the handle's close waits for it unobserved.
        read.catch(() => undefined);
        return read;
      };
      let position = 0;
      let ahead = size > 0 ? readAt(0) : undefined;
      while (position < size) {
        if (this.options.shouldStop?.()) throw new StopRequested('stop requested');
        const read = await ahead!;
        // A file that shrank while being read: pad with zeros to the size in the tar header.
        const chunk = read.bytesRead === 0 ? Buffer.alloc(read.want) : read.buffer.subarray(0, read.bytesRead);
        position += chunk.length;
        // Asked only now: a short read (a file that shrank) moves where the next chunk starts.
        ahead = position < size ? readAt(position) : undefined;
        hash.update(chunk);
        this.options.onBytes?.(chunk.length);
        this.releaser.add(chunk.length);
        // tar-stream's entry streams are streamx Writables with Node's 'drain' and 'error' events;
        // events.once rejects on 'error'.
        if (!stream.write(chunk)) await once(stream as unknown as NodeJS.EventEmitter, 'drain');
      }
      stream.end(Buffer.alloc(0));
      await written;
      partition.files++;
      return { name: entry.name, size, sha256: hash.digest('hex'), partition: partition.number, mode: entry.mode, mtime: entry.mtime.toISOString() };
    } finally {
      await handle.close();
    }
  }

  async finish(): Promise<ManifestPartition[]> {
    if (this.current) this.finishing.push(this.closePartition(this.current));
    this.current = undefined;
    return Promise.all(this.finishing);
  }

  /** On failure: end every stream so no upload waits forever. */
  abort(err: Error): void {
    this.current?.pack.destroy(err);
  }
}

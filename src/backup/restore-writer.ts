// Writing restored files with both cores. The main thread parses the tar stream and copies each
// file's bytes into a shared ring (byte-ring.ts); from there the thread pool writes them with
// positional writes and the hashing thread (hash-worker.ts) computes the file's sha256, while the
// main thread already parses the next entry. A file is finished (written, owned, timed, closed and
// its digest known) in the background; the extraction waits for all of them before it reports.
// Before this, every file was written and closed before the next entry was read, and the main
// thread hashed every byte: the restore ran on one core and waited on each file's round trips.
import { chmod, lchown, mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ByteRing, type RingRegion } from './byte-ring.js';
import { HashThread } from './hash-thread.js';
import { onTarget, targetError, type DirectoryOwner } from './restore-target.js';

/**
 * The rings together: enough for the thread pool's writes and the hashing thread to run behind the
 * parser. Each partition extracted at once has its own ring: with one shared ring, regions are freed
 * in order, so one partition's writes waited behind the other's and its regions, interleaved with the
 * other's, could not grow (pgbench scale 100, two partitions: 5.2-6.2 s against 4.3-4.5 s one at a time).
 */
const RINGS_BYTES = 16 * 1024 * 1024;
/** A file's bytes go out in writes and hash updates of up to this size (fewer round trips). */
const REGION_BYTES = 1024 * 1024;
/** Files being finished in the background at once (each holds a descriptor). */
const OPEN_FILES = 128;

export class RestoreWriter {
  /** one ring per partition extracted at once (`lanes`), dividing one shared buffer */
  readonly rings: ByteRing[];
  readonly hashes: HashThread;
  private openFiles = 0;
  private slotWaiting: Array<() => void> = [];
  /** directories known to exist: a file's parent is made once, not once per file */
  private readonly directories = new Set<string>();

  constructor(
    readonly owner: DirectoryOwner | undefined,
    lanes = 1,
  ) {
    const shared = new SharedArrayBuffer(RINGS_BYTES);
    const size = Math.floor(RINGS_BYTES / lanes);
    this.rings = Array.from({ length: lanes }, (_, lane) => new ByteRing(size, shared, lane * size));
    this.hashes = new HashThread(shared, this.rings, 'restore');
  }

  /** Makes a file's parent directories (0700, handed to the owner) unless they are known to exist. */
  async ensureParent(path: string): Promise<void> {
    const parent = dirname(path);
    if (this.directories.has(parent)) return;
    const created = await onTarget(parent, () => mkdir(parent, { recursive: true, mode: 0o700 }));
    if (created && this.owner) {
      for (let dir = parent; dir.length >= created.length; dir = dirname(dir)) await onTarget(dir, () => lchown(dir, this.owner!.uid, this.owner!.gid));
    }
    this.directories.add(parent);
  }

  /** A directory entry of the backup: made with its mode and owner. */
  async makeDirectory(path: string, mode: number): Promise<void> {
    await onTarget(path, async () => {
      await mkdir(path, { recursive: true, mode: 0o700 });
      await chmod(path, mode & 0o777);
      if (this.owner) await lchown(path, this.owner.uid, this.owner.gid);
    });
    this.directories.add(path);
  }

  /**
   * A new file of the target, opened 'wx' (never through or over an existing entry). The open is not
   * waited for: on a busy thread pool it queues behind writes, and the parser would stall on it; its
   * failure comes out of the file's first write or finish().
   */
  async create(path: string, mode: number, lane: number): Promise<RestoreFile> {
    while (this.openFiles >= OPEN_FILES) await new Promise<void>((resolve) => this.slotWaiting.push(resolve));
    this.openFiles++;
    const opened = onTarget(path, () => open(path, 'wx', mode));
    opened.catch(() => undefined);
    return new RestoreFile(this, this.rings[lane]!, this.hashes.newFile(), path, opened);
  }

  /** A file's descriptor was closed. */
  closed(): void {
    this.openFiles--;
    this.slotWaiting.shift()?.();
  }

  close(): Promise<void> {
    return this.hashes.close();
  }
}

async function writeFully(handle: FileHandle, ring: Buffer, region: RingRegion, position: number): Promise<void> {
  for (let done = 0; done < region.length; ) {
    const { bytesWritten } = await handle.write(ring, region.start + done, region.length - done, position + done);
    if (bytesWritten === 0) throw Object.assign(new Error('write wrote nothing'), { code: 'EIO' });
    done += bytesWritten;
  }
}

export class RestoreFile {
  bytes = 0;
  private region?: RingRegion;
  /** where in the file the region being filled starts */
  private regionAt = 0;
  private readonly writes: Array<Promise<void>> = [];
  private failure?: unknown;

  constructor(
    private readonly writer: RestoreWriter,
    private readonly ring: ByteRing,
    private readonly id: number,
    readonly path: string,
    private readonly opened: Promise<FileHandle>,
  ) {
    opened.catch((err: unknown) => (this.failure ??= err));
  }

  /** Copies `chunk` into the ring; waits only while the ring is full. Throws once a write failed. */
  async write(chunk: Buffer): Promise<void> {
    const ring = this.ring;
    for (let offset = 0; offset < chunk.length; ) {
      if (this.failure) throw this.failure;
      const piece = Math.min(chunk.length - offset, REGION_BYTES);
      if (this.region && ring.grow(this.region, piece)) {
        chunk.copy(ring.bytes, this.region.start + this.region.length - piece, offset, offset + piece);
      } else {
        this.flush();
        this.region = await ring.reserve(piece, 2);
        this.regionAt = this.bytes;
        chunk.copy(ring.bytes, this.region.start, offset, offset + piece);
      }
      offset += piece;
      this.bytes += piece;
      if (this.region.length >= REGION_BYTES) this.flush();
    }
  }

  /** Hands the region being filled to the thread pool (a write) and the hashing thread. */
  private flush(): void {
    const region = this.region;
    if (!region) return;
    this.region = undefined;
    this.writer.hashes.hash(this.id, this.ring, region);
    const at = this.regionAt;
    const write = this.opened.then((handle) => writeFully(handle, this.ring.bytes, region, at)).then(
      () => this.ring.release(region),
      (err: unknown) => {
        this.ring.release(region);
        // A failed open is already typed; a failed write is typed here.
        this.failure ??= targetError(this.path, err);
        throw this.failure;
      },
    );
    write.catch(() => undefined);
    this.writes.push(write);
  }

  /** Waits for every write, sets owner and mtime, closes; the file's size and sha256. */
  async finish(mtime: Date): Promise<{ bytes: number; sha256: string }> {
    let sha256: Promise<string> | undefined;
    let failure: unknown;
    try {
      this.flush();
      sha256 = this.writer.hashes.digest(this.id);
      sha256.catch(() => undefined);
      const handle = await this.opened;
      await Promise.all(this.writes);
      const owner = this.writer.owner;
      await onTarget(this.path, async () => {
        if (owner) await handle.chown(owner.uid, owner.gid);
        await handle.utimes(new Date(), mtime);
      });
    } catch (err) {
      failure = err;
    }
    failure = await this.close(failure);
    if (failure !== undefined) throw failure;
    return { bytes: this.bytes, sha256: await sha256! };
  }

  /** The extraction stopped in this file: its writes settle and its descriptor is closed. */
  async abandon(): Promise<void> {
    if (this.region) {
      // Never sent to a user: both of its uses end here.
      this.ring.release(this.region);
      this.ring.release(this.region);
      this.region = undefined;
    }
    await Promise.allSettled(this.writes);
    await this.close(undefined);
  }

  private async close(failure: unknown): Promise<unknown> {
    try {
      // A file whose open failed has nothing to close.
      const handle = await this.opened.catch(() => undefined);
      await handle?.close();
    } catch (err) {
      failure ??= targetError(this.path, err);
    } finally {
      this.writer.closed();
    }
    return failure;
  }
}

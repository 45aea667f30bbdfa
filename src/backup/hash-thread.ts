// The sha256 of files whose bytes pass through shared rings, computed on a thread of its own
// (hash-worker.ts), so that the main thread parses, reads and streams while another core hashes.
// Used by backup-push (files read from the data directory) and backup-fetch (files restored).
// A region sent here has one of its uses released once hashed; a file's digest comes after all of
// its regions, since the thread handles messages in order.
import { Worker } from 'node:worker_threads';
import { InternalError } from '../errors/errors.js';
import type { ByteRing, RingRegion } from './byte-ring.js';
import type { HashReply, HashRequest } from './hash-protocol.js';

interface Pending {
  resolve: (sha256: string) => void;
  reject: (err: unknown) => void;
}

export class HashThread {
  private readonly worker: Worker;
  private readonly regions = new Map<number, { ring: ByteRing; region: RingRegion }>();
  private readonly digests = new Map<number, Pending>();
  private nextRegion = 1;
  private nextFile = 1;
  private failure?: Error;

  /** `rings` all divide `shared`; `what` names the command in a failure ("restore", "backup"). */
  constructor(
    shared: SharedArrayBuffer,
    private readonly rings: ByteRing[],
    private readonly what: string,
  ) {
    // The hashing thread allocates almost nothing: small heaps keep its memory small.
    this.worker = new Worker(new URL('./hash-worker.js', import.meta.url), { workerData: shared, resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 } });
    // Not unref()'d: while a digest is awaited the worker's reply may be the only thing the event loop
    // waits for, and an unref()'d worker would let the process exit with the restore unfinished. Its
    // owner closes it on every path (RestoreWriter.close in backup-fetch's finally).
    this.worker.on('message', (reply: HashReply) => this.onReply(reply));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the ${what}'s hashing thread exited with status ${code}`)));
  }

  private onReply(reply: HashReply): void {
    if (reply.kind === 'hashed') {
      const sent = this.regions.get(reply.region);
      this.regions.delete(reply.region);
      sent?.ring.release(sent.region);
      return;
    }
    const pending = this.digests.get(reply.file);
    this.digests.delete(reply.file);
    pending?.resolve(reply.sha256);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = new InternalError(`${this.what}: ${err.message}`, { cause: err });
    for (const ring of this.rings) ring.fail(this.failure);
    for (const pending of this.digests.values()) pending.reject(this.failure);
    this.digests.clear();
  }

  /** A number for a new file's hash. */
  newFile(): number {
    return this.nextFile++;
  }

  /** Sends a region of `file` to the hashing thread, which releases one use of it when done. */
  hash(file: number, ring: ByteRing, region: RingRegion): void {
    if (this.failure) throw this.failure;
    const id = this.nextRegion++;
    this.regions.set(id, { ring, region });
    this.worker.postMessage({ kind: 'update', file, region: id, start: region.start, length: region.length } satisfies HashRequest);
  }

  /** The sha256 of everything hashed for `file`, once the hashing thread has caught up. */
  digest(file: number): Promise<string> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.digests.set(file, { resolve, reject });
      this.worker.postMessage({ kind: 'digest', file } satisfies HashRequest);
    });
  }

  /** Ends the thread; anything still waiting on it (a ring reservation, a digest) fails. */
  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
    this.fail(new Error(`the ${this.what}'s hashing thread was closed`));
  }
}

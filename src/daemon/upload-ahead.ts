// Archiving ahead of PostgreSQL: segments marked .ready in pg_wal/archive_status are uploaded in the
// background, `concurrency` at a time, so that when archive_command asks for one it is usually
// already stored and verified. An explicit request joins an upload in progress rather than starting
// a second one. Only outcomes pushWalFile verified are remembered, keyed by name, size and mtime, and
// forgotten once PostgreSQL has marked the segment .done.
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { asPgwardError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { pushWalFile, type WalPushContext, type WalPushOutcome } from '../wal/wal-push.js';

/** Told about every upload this class runs (the daemon's metrics). */
export interface UploadObserver {
  uploaded(outcome: WalPushOutcome, seconds: number, ahead: boolean): void;
  uploadFailed(code: string): void;
  ready: { set(value: number): void };
}

export class UploadAhead {
  private readonly done = new Map<string, WalPushOutcome>();
  private readonly running = new Map<string, Promise<WalPushOutcome>>();
  private scanning = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ctx: () => WalPushContext,
    private readonly walDirectory: string,
    private readonly concurrency: number,
    private readonly log: Logger,
    private readonly observer?: UploadObserver,
    /** false while the daemon refuses to serve: nothing is uploaded ahead then */
    private readonly allowed: () => boolean = () => true,
  ) {}

  private async keyOf(path: string): Promise<string> {
    const info = await stat(path);
    return `${basename(path)}:${info.size}:${info.mtimeMs}`;
  }

  /** Archive one file now (or join the upload already under way). Resolves only when verified. */
  async push(path: string, ahead = false): Promise<WalPushOutcome> {
    const key = await this.keyOf(path).catch(() => basename(path));
    const known = this.done.get(key);
    if (known) return known;
    let running = this.running.get(key);
    if (!running) {
      const started = performance.now();
      running = pushWalFile(this.ctx(), path);
      this.running.set(key, running);
      running.then(
        (outcome) => {
          this.done.set(key, outcome);
          this.observer?.uploaded(outcome, (performance.now() - started) / 1000, ahead);
        },
        (err: unknown) => this.observer?.uploadFailed(asPgwardError(err).code),
      ).finally(() => this.running.delete(key));
    }
    return running;
  }

  /** One pass over archive_status: start uploads for .ready segments, forget .done ones. */
  async scan(): Promise<void> {
    if (this.scanning || !this.allowed()) return;
    this.scanning = true;
    try {
      const status = await readdir(join(this.walDirectory, 'archive_status')).catch(() => [] as string[]);
      const ready = status.filter((f) => f.endsWith('.ready')).map((f) => f.slice(0, -'.ready'.length)).sort();
      const readySet = new Set(ready);
      this.observer?.ready.set(ready.length);
      for (const key of this.done.keys()) if (!readySet.has(key.split(':')[0]!)) this.done.delete(key);
      for (const name of ready) {
        if (this.running.size >= this.concurrency) break;
        const path = join(this.walDirectory, name);
        this.push(path, true).catch((err: Error) => this.log.warn({ segment: name, err: { message: err.message } }, `uploading ${name} ahead failed; PostgreSQL's own request will retry it`));
      }
    } finally {
      this.scanning = false;
    }
  }

  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.scan(), intervalMs);
    this.timer.unref();
  }

  async stop(boundMs: number): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const pending = Promise.allSettled([...this.running.values()]);
    await Promise.race([pending, new Promise((resolve) => setTimeout(resolve, boundMs).unref())]);
  }

  get inFlight(): number {
    return this.running.size;
  }
}

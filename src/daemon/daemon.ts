// pgward daemon: one per cluster. It verifies the cluster (PG_VERSION, pg_control) and the
// repository stamp before it serves anything, then answers wal-push/wal-fetch over its socket with
// warm storage clients and archives .ready segments ahead. It re-checks the identity when
// postmaster.pid changes and the stamp and this location's registration every minute; on a mismatch
// it stops serving (every request fails with exit 3/4, so archive_command keeps failing loudly and
// nothing is mixed in). SIGHUP re-reads the settings and checks identity, stamp and location again;
// only checks that pass end a refusal.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { Server } from 'node:net';
import { readClusterFiles, type ClusterFiles } from '../cluster/identity.js';
import type { WriteMethod } from '../codec/compression.js';
import { asPgwardError, ClusterIdentityError, PgwardError, UsageError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { sweepIncompleteWrites } from '../repo/incomplete-writes.js';
import { ensureWriter } from '../repo/locations.js';
import { stampIdentityOf } from '../repo/stamp.js';
import type { Storage } from '../storage/storage.js';
import { fetchWalFile } from '../wal/wal-fetch.js';
import { PeriodicReadBack } from '../wal/read-back.js';
import type { WalPushContext } from '../wal/wal-push.js';
import type { Request, Response } from './protocol.js';
import { notifySystemd, startWatchdog } from './sd-notify.js';
import { listen } from './server.js';
import { UploadAhead } from './upload-ahead.js';
import { Prefetcher } from './prefetch.js';
import type { DaemonMetrics } from '../metrics/daemon-metrics.js';

/** What a reload may change. */
export interface DaemonSettings {
  compression: WriteMethod;
  openStorage(): Promise<Storage>;
}

export interface DaemonOptions {
  dataDirectory: string;
  socketPath: string;
  concurrency: number;
  /** The settings as they are now: called at start and on every reload (which re-reads the config file). */
  configure(): DaemonSettings;
  log: Logger;
  scanIntervalMs?: number;
  stampIntervalMs?: number;
  shutdownBoundMs?: number;
  sweepIntervalMs?: number;
  /** counted when PGWARD_METRICS_LISTEN serves them */
  metrics?: DaemonMetrics;
}

function failure(id: number, err: unknown): Response {
  const e = asPgwardError(err);
  return { v: 1, id, ok: false, code: e.code, exitCode: e.exitCode, message: e.message, hint: e.hint };
}

export class Daemon {
  private cluster!: ClusterFiles;
  private storage!: Storage;
  private compression!: WriteMethod;
  private reloading: Promise<void> = Promise.resolve();
  private server?: Server;
  private archiver!: UploadAhead;
  private prefetcher!: Prefetcher;
  private prefetchHits = 0;
  private refusal?: PgwardError;
  private pidStamp = '';
  private timers: NodeJS.Timeout[] = [];
  private stopWatchdog: () => void = () => undefined;
  private served = 0;
  private readonly readBack: PeriodicReadBack;

  constructor(private readonly options: DaemonOptions) {
    this.readBack = new PeriodicReadBack(options.stampIntervalMs ?? 60_000);
  }


  private get log(): Logger {
    return this.options.log;
  }

  /** Identity and stamp: throws (refusing to start) on a mismatch. */
  async start(): Promise<void> {
    this.cluster = await readClusterFiles(this.options.dataDirectory);
    const settings = this.options.configure();
    this.compression = settings.compression;
    this.storage = await settings.openStorage();
    await ensureWriter(this.storage, stampIdentityOf(this.cluster));
    this.pidStamp = await this.postmasterPidStamp();
    const walDirectory = join(this.cluster.dataDirectory, 'pg_wal');
    this.options.metrics?.identify({ cluster: this.cluster.name, version: this.cluster.pgMajor, systemIdentifier: this.cluster.systemIdentifier });
    const ctx = (): WalPushContext => ({ storage: this.storage, cluster: this.cluster, compression: this.compression, log: this.log, locationChecked: true, readBack: this.readBack });
    // Uploads ahead stop while refusing: with the stamp checked on a timer instead of per segment,
    // a refusal is what keeps WAL out of a repository that is no longer this cluster's.
    this.archiver = new UploadAhead(ctx, walDirectory, this.options.concurrency, this.log, this.options.metrics, () => this.refusal === undefined);
    this.prefetcher = new Prefetcher(walDirectory, 4, () => ({ storage: this.storage, systemIdentifier: this.cluster.systemIdentifier, log: this.log }));
    this.server = await listen(this.options.socketPath, (request) => this.handle(request), this.log);
    this.archiver.start(this.options.scanIntervalMs ?? 200);
    this.timers.push(
      setInterval(() => void this.recheckIdentity(), 5000),
      setInterval(() => void this.recheckStamp(), this.options.stampIntervalMs ?? 60_000),
      setInterval(() => void this.sweep(), this.options.sweepIntervalMs ?? 6 * 60 * 60 * 1000),
    );
    for (const timer of this.timers) timer.unref();
    this.stopWatchdog = startWatchdog(() => this.refusal === undefined);
    void this.sweep();
    notifySystemd('READY=1');
    this.log.info({ socket: this.options.socketPath, dataDirectory: this.cluster.dataDirectory, repository: this.storage.location }, `serving cluster ${this.cluster.name} on ${this.options.socketPath}`);
  }

  private async postmasterPidStamp(): Promise<string> {
    const info = await stat(join(this.cluster.dataDirectory, 'postmaster.pid')).catch(() => undefined);
    return info ? `${info.ino}:${info.mtimeMs}` : 'none';
  }

  private async recheckIdentity(): Promise<void> {
    const now = await this.postmasterPidStamp();
    if (now === this.pidStamp) return;
    this.pidStamp = now;
    try {
      const problem = await this.identityProblem();
      if (problem) this.refuse(problem);
      else this.log.info({ postmasterPid: now }, 'postmaster.pid changed; the cluster is still the same');
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'cannot re-read the cluster identity');
    }
  }

  /** The data directory's cluster now, compared with the one this daemon started for. */
  private async identityProblem(): Promise<ClusterIdentityError | undefined> {
    const files = await readClusterFiles(this.options.dataDirectory);
    if (files.systemIdentifier === this.cluster.systemIdentifier && files.pgMajor === this.cluster.pgMajor) return undefined;
    return new ClusterIdentityError(
      `the cluster in ${files.dataDirectory} changed: system identifier ${files.systemIdentifier} (PostgreSQL ${files.pgMajor}), the daemon started for ${this.cluster.systemIdentifier} (PostgreSQL ${this.cluster.pgMajor})`,
      { hint: 'restart the daemon for the new cluster (and give it its own repository)' },
    );
  }

  private async recheckStamp(): Promise<void> {
    try {
      await ensureWriter(this.storage, stampIdentityOf(this.cluster));
    } catch (err) {
      const e = asPgwardError(err);
      if (e.code === 'REPO_IDENTITY_MISMATCH') this.refuse(e);
    }
  }

  /** Leftovers of killed writers, removed here rather than on archive_command's path. */
  private async sweep(): Promise<void> {
    if (this.refusal) return;
    try {
      await sweepIncompleteWrites(this.storage, this.log);
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message } }, 'could not remove incomplete writes from the repository');
    }
  }

  private refuse(reason: PgwardError): void {
    if (!this.refusal) this.log.error({ code: reason.code }, `no longer serving: ${reason.message}`);
    this.refusal = reason;
    this.options.metrics?.setServing(false);
  }

  private async inCluster(dataDirectory: string): Promise<boolean> {
    return (await realpath(dataDirectory).catch(() => dataDirectory)) === this.cluster.dataDirectory;
  }

  async handle(request: Request): Promise<Response> {
    if (request.op === 'ping') return { v: 1, id: request.id, ok: true, status: 'pong' };
    const started = performance.now();
    const response = await this.answer(request);
    this.options.metrics?.answered(request.op, (performance.now() - started) / 1000, response.ok ? undefined : response);
    return response;
  }

  private async answer(request: Exclude<Request, { op: 'ping' }>): Promise<Response> {
    if (this.refusal) return failure(request.id, this.refusal);
    if (!isAbsolute(request.dataDirectory)) {
      return failure(request.id, new UsageError(`the request names the data directory ${JSON.stringify(request.dataDirectory)}, not an absolute path`, { hint: 'a client must send the absolute path of PGDATA (pgward wal-push and wal-fetch do)' }));
    }
    if (!(await this.inCluster(request.dataDirectory))) {
      return failure(request.id, new ClusterIdentityError(`this daemon serves ${this.cluster.dataDirectory}, not ${request.dataDirectory}`, { hint: 'PGWARD_DAEMON_SOCKET points at another cluster’s daemon' }));
    }
    const log = this.log.child({ op: request.op });
    try {
      if (request.op === 'wal-push') {
        // A relative path is relative to the data directory, as PostgreSQL's %p is.
        const path = resolve(this.cluster.dataDirectory, request.path);
        const outcome = await this.archiver.push(path);
        this.served++;
        log.debug({ segment: path, status: outcome.status }, 'served wal-push');
        return { v: 1, id: request.id, ok: true, status: outcome.status };
      }
      const destination = resolve(this.cluster.dataDirectory, request.destination);
      let size: number;
      const hit = await this.prefetcher.take(request.segment, destination);
      this.options.metrics?.prefetched(hit);
      if (hit) {
        this.prefetchHits++;
        size = (await stat(destination)).size;
        log.debug({ segment: request.segment }, 'served from prefetch');
      } else {
        size = (await fetchWalFile({ storage: this.storage, systemIdentifier: this.cluster.systemIdentifier, log }, request.segment, destination)).size;
      }
      this.prefetcher.schedule(request.segment, size);
      this.served++;
      return { v: 1, id: request.id, ok: true, status: 'restored' };
    } catch (err) {
      return failure(request.id, err);
    }
  }

  /**
   * SIGHUP: re-read the settings (repository, credentials, compression), then check the cluster's
   * identity, the new repository's stamp and this location exactly as at start. Settings that fail to load leave the
   * previous ones in force; a refusal ends only when both checks pass, so a reload cannot make the
   * daemon archive a changed cluster's WAL.
   */
  reload(): Promise<void> {
    const next = this.reloading.then(() => this.reloadNow());
    this.reloading = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(): Promise<void> {
    const settings = this.options.configure();
    const storage = await settings.openStorage();
    try {
      const problem = await this.identityProblem();
      if (problem) throw problem;
      await ensureWriter(storage, stampIdentityOf(this.cluster));
    } catch (err) {
      storage.close();
      const e = asPgwardError(err);
      if (e.code === 'CLUSTER_IDENTITY_MISMATCH' || e.code === 'REPO_IDENTITY_MISMATCH') this.refuse(e);
      throw e;
    }
    const previous = this.storage;
    this.storage = storage;
    this.compression = settings.compression;
    this.readBack.reset();
    previous.close();
    if (this.refusal) this.log.info({ was: this.refusal.code }, 'identity and stamp check out again: serving');
    this.refusal = undefined;
    this.options.metrics?.setServing(true);
    this.log.info({ repository: storage.location, compression: settings.compression }, 'settings reloaded');
  }

  /** SIGTERM: stop accepting, let uploads in flight finish within the bound, close. */
  async stop(): Promise<void> {
    notifySystemd('STOPPING=1');
    this.stopWatchdog();
    for (const timer of this.timers) clearInterval(timer);
    this.server?.close();
    await this.archiver?.stop(this.options.shutdownBoundMs ?? 30_000);
    this.storage?.close();
    this.log.info({ served: this.served, prefetchHits: this.prefetchHits }, 'daemon stopped');
  }
}

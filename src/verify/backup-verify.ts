// backup-verify: proves a backup restores. Files level: the sentinel's identity against the repository
// stamp, the WAL from the backup's start to its stop, every partition and file against the manifest.
// Restore level: the identity and WAL checks, then backup-fetch's own restore (which verifies every
// partition and file as it writes) into a scratch directory, a server of the backup's major started on
// it as the owner, recovery through wal-fetch, and the checks on the running and the stopped copy. The
// server is stopped and the scratch removed whatever happens; a verdict (verified or failed) is stored
// as a record next to the backup, the only thing a verification writes into the repository.
import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { fetchBackup } from '../backup/backup-fetch.js';
import { findBackup, readManifest } from '../backup/catalog.js';
import type { BackupSentinel } from '../backup/manifest.js';
import { IntegrityError, InterruptedError, VerificationFailedError, type PgwardError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { databaseAnswers, restoredFacts, runCheckQuery, type RestoredFacts } from '../postgres/restored-checks.js';
import { readStamp } from '../repo/stamp.js';
import type { Storage } from '../storage/storage.js';
import { checkBackupFiles, checkStoredPartitions } from './backup-files.js';
import { checkBackupWal } from './backup-wal.js';
import { CheckList } from './check-list.js';
import type { CheckQuery } from './check-sql.js';
import { interruptible } from './interruptible-storage.js';
import type { ServerUser } from './owner.js';
import { findPgBinaries, type PgBinaries } from './pg-binaries.js';
import { runAmcheck, runChecksums } from './pg-tools.js';
import { storeVerification, VERIFICATION_FORMAT, type VerificationRecord } from './record.js';
import { checkSpace, createScratch, removeAbandoned, removeScratch, type Scratch } from './scratch.js';
import { startScratchServer, waitRecovered, type ScratchServer } from './scratch-server.js';

export type VerifyLevel = 'files' | 'restore';

export interface VerifyOptions {
  storage: Storage;
  backup: string;
  level: VerifyLevel;
  toEnd: boolean;
  checkSql: CheckQuery[];
  amcheck: boolean;
  keep: boolean;
  timeoutSeconds: number;
  verifyDir: string;
  pgBin?: string;
  env: NodeJS.ProcessEnv;
  user: ServerUser;
  restoreCommand: string;
  /** aborted by the command's SIGTERM/SIGINT handler */
  signal: AbortSignal;
  pgwardVersion: string;
  log: Logger;
}

export interface VerifyOutcome {
  record: VerificationRecord;
  key: string;
}

/** How long clean-up waits for an aborted restore to stop writing before it removes the scratch. */
const RESTORE_SETTLE_MS = 15_000;

/** Room for the restored files plus the WAL recovery copies into pg_wal and the server's own. */
const SPACE_MARGIN = 256 * 1024 * 1024;

function checkIdentity(sentinel: BackupSentinel, stamp: Awaited<ReturnType<typeof readStamp>>, location: string): string {
  if (!stamp) throw new IntegrityError(`repository ${location} has no identity stamp (pgward.json)`, { hint: 'the repository is damaged: restore pgward.json from a copy' });
  const known = [{ systemIdentifier: stamp.systemIdentifier, pgMajor: stamp.pgMajor }, ...stamp.history];
  if (!known.some((k) => k.systemIdentifier === sentinel.systemIdentifier && k.pgMajor === sentinel.pgMajor)) {
    throw new IntegrityError(
      `backup ${sentinel.name} records system identifier ${sentinel.systemIdentifier} (PostgreSQL ${sentinel.pgMajor}), the repository stamp ${stamp.systemIdentifier} (PostgreSQL ${stamp.pgMajor})`,
      { hint: 'this backup belongs to another cluster than the repository: do not restore it in its place' },
    );
  }
  return `system identifier ${sentinel.systemIdentifier}, PostgreSQL ${sentinel.pgMajor}`;
}

function replayEnd(logText: string): string | undefined {
  return [...logText.matchAll(/redo done at ([0-9A-F]+\/[0-9A-F]+)/g)].at(-1)?.[1];
}

export async function verifyBackup(options: VerifyOptions): Promise<VerifyOutcome> {
  const { log, signal } = options;
  const startedAt = new Date();
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const interrupted = (): InterruptedError =>
    new InterruptedError(`backup-verify of ${options.backup} was stopped by a signal; its server was stopped and its scratch removed`, { hint: 'run backup-verify again' });
  // The restore is aborted by a signal or the deadline; the reason decides the exit.
  const abort = new AbortController();
  let abortReason: () => PgwardError = interrupted;
  const onSignal = (): void => abort.abort();
  signal.addEventListener('abort', onSignal);
  const timer = setTimeout(() => {
    abortReason = () => new VerificationFailedError(`the verification did not finish within --timeout ${options.timeoutSeconds} s`, { hint: 'raise --timeout for a backup of this size' });
    abort.abort();
  }, options.timeoutSeconds * 1000);
  const guard = (): void => {
    if (abort.signal.aborted) throw abortReason();
  };

  const sentinel = await findBackup(options.storage, options.backup);
  const checks = new CheckList(log.child({ backup: sentinel.name }));
  const record: VerificationRecord = {
    format: VERIFICATION_FORMAT,
    backup: sentinel.name,
    result: 'failed',
    level: options.level,
    toEnd: options.toEnd,
    checks: checks.checks,
    totalSeconds: 0,
    walSegments: 0,
    pgwardVersion: options.pgwardVersion,
    host: hostname(),
    startedAt: startedAt.toISOString(),
    finishedAt: '',
  };
  let bin: PgBinaries | undefined;
  let scratch: Scratch | undefined;
  let server: ScratchServer | undefined;
  /** the restore itself: a signal ends the wait for it at once, but its writes end only when it settles */
  let restoring: Promise<unknown> | undefined;
  let verdict: VerificationFailedError | undefined;
  try {
    if (options.level === 'restore') {
      // Everything that can be refused without touching the backup is refused first.
      bin = await findPgBinaries(sentinel.pgMajor, options.pgBin, options.env);
      record.pgBin = bin.dir;
      await removeAbandoned(options.verifyDir, log).catch(() => undefined);
      await mkdir(options.verifyDir, { recursive: true, mode: 0o755 }).catch(() => undefined);
      await checkSpace(options.verifyDir, sentinel.rawSize + SPACE_MARGIN);
    }
    log.info({ phase: 'verifying', backup: sentinel.name, level: options.level, pgBin: bin?.dir }, `verifying ${sentinel.name} (PostgreSQL ${sentinel.pgVersion}) at level ${options.level}${bin ? ` with ${bin.dir}` : ''}`);
    await checks.run('identity', async () => checkIdentity(sentinel, await readStamp(options.storage), options.storage.location), (d) => d);
    guard();
    const wal = await checks.run('wal', () => checkBackupWal(options.storage, sentinel), (w) => `${w.segments.length} segment(s) ${sentinel.walStart}..${sentinel.walStop}`);
    record.walSegments = wal.segments.length;
    guard();
    if (options.level === 'files') {
      const manifest = await checks.run('manifest', () => readManifest(options.storage, sentinel.name));
      await checks.run('files', () => checkBackupFiles(interruptible(options.storage, abort.signal, () => abortReason()), manifest), (f) => `${f.partitions} partition(s), ${f.files} file(s)`);
    } else {
      await restoreAndCheck();
    }
    record.result = 'verified';
  } catch (err) {
    if (!(err instanceof VerificationFailedError)) throw err;
    verdict = err;
    record.failedCheck = checks.failed?.name ?? 'verification';
    record.message = err.message;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onSignal);
    if (server && !server.exited()) await server.stop();
    // An abandoned restore is still writing into the scratch until its aborted reads fail it: removing
    // the scratch before it settles could leave files it creates afterwards behind.
    if (restoring) await Promise.race([restoring.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, RESTORE_SETTLE_MS).unref())]);
    if (scratch) {
      if (options.keep) log.warn({ scratch: scratch.path }, `--keep: the restored copy stays in ${scratch.path} (its server is stopped); remove it when done`);
      else await removeScratch(scratch);
    }
  }
  if (signal.aborted) throw interrupted();
  record.finishedAt = new Date().toISOString();
  record.totalSeconds = Math.round((Date.now() - startedAt.getTime()) / 100) / 10;
  const key = await storeVerification(options.storage, record);
  if (verdict) throw verdict;
  return { record, key };

  /** A signal or the deadline ends the wait for work that cannot be cancelled from outside. */
  function untilAborted<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const stop = (): void => reject(abortReason());
      if (abort.signal.aborted) return stop();
      abort.signal.addEventListener('abort', stop, { once: true });
      work.then(resolve, reject).finally(() => abort.signal.removeEventListener('abort', stop));
    });
  }

  async function restoreAndCheck(): Promise<void> {
    const { owner, role } = options.user;
    scratch = await createScratch(options.verifyDir, owner);
    const target = scratch;
    const manifest = await checks.run('manifest', () => readManifest(options.storage, sentinel.name));
    const storage = interruptible(options.storage, abort.signal, () => abortReason());
    await checks.run('partitions', () => checkStoredPartitions(storage, manifest), (b) => `${manifest.partitions.length} partition(s), ${b} bytes stored`);
    guard();
    const restoreStarted = Date.now();
    await checks.run(
      'restore',
      () =>
        untilAborted((restoring = fetchBackup({
          storage,
          sentinel,
          target: target.dataDirectory,
          tablespaceRemap: new Map(sentinel.tablespaces.map((ts) => [ts.oid, target.tablespace(ts.oid)])),
          restoreCommand: options.restoreCommand,
          recoveryTarget: options.toEnd ? {} : { immediate: true, action: 'promote' },
          keepArchiving: false,
          ...(owner ? { owner } : {}),
          parallel: 2,
          progressIntervalMs: 5000,
          log: log.child({ phase: 'restore' }),
        }))),
      (r) => `${r.files} file(s)`,
    );
    record.restoreSeconds = Math.round((Date.now() - restoreStarted) / 100) / 10;
    guard();
    const recoveryStarted = Date.now();
    await checks.run(
      'recovery',
      async () => {
        server = startScratchServer(bin!, target, owner, sentinel.pgVersionNum, options.env);
        await waitRecovered(server, target, { deadline, signal: abort.signal, interrupted: () => abortReason(), role });
      },
      () => (options.toEnd ? 'replayed every archived segment of the timeline' : 'consistent (recovery_target = immediate)'),
    );
    record.recoverySeconds = Math.round((Date.now() - recoveryStarted) / 100) / 10;
    const conn = { host: server!.host, port: server!.port, role };
    const facts: RestoredFacts = await restoredFacts(conn);
    record.postgresVersion = facts.serverVersion;
    await checks.run('system identifier', async () => {
      if (facts.systemIdentifier !== sentinel.systemIdentifier) throw new VerificationFailedError(`the restored server reports system identifier ${facts.systemIdentifier}, the backup ${sentinel.systemIdentifier}`);
      return facts.systemIdentifier;
    }, (id) => id);
    await checks.run('major version', async () => {
      const major = String(facts.serverVersionNum >= 100000 ? Math.floor(facts.serverVersionNum / 10000) : facts.serverVersionNum / 100);
      if (major !== sentinel.pgMajor) throw new VerificationFailedError(`the restored server is PostgreSQL ${major}, the backup ${sentinel.pgMajor}`);
      return facts.serverVersion;
    }, (v) => v);
    await checks.run('databases', async () => {
      for (const db of facts.databases) {
        const failure = await databaseAnswers(conn, db);
        if (failure) throw new VerificationFailedError(`database ${db} does not accept a connection: ${failure}`);
      }
      return facts.databases;
    }, (dbs) => `${dbs.length} database(s) answer`);
    guard();
    if (!options.amcheck) log.info({ check: 'amcheck', skipped: true }, 'amcheck: skipped (--no-amcheck)');
    else if (facts.serverVersionNum < 140000 || !bin!.has('pg_amcheck')) log.info({ check: 'amcheck', skipped: true }, `amcheck: skipped (${facts.serverVersionNum < 140000 ? 'pg_amcheck needs PostgreSQL 14 or later' : `no pg_amcheck in ${bin!.dir}`})`);
    else await checks.run('amcheck', () => runAmcheck(bin!, conn.host, conn.port, role, owner, deadline), (d) => d);
    for (const query of options.checkSql) {
      guard();
      await checks.run(`check-sql ${query.sql}`, async () => {
        const { value, error } = await runCheckQuery(conn, query.database, query.sql);
        if (error !== undefined) throw new VerificationFailedError(`check-sql query failed in database ${query.database}: ${query.sql}: ${error}`, { hint: 'fix the query or the data it checks' });
        if (value !== true) throw new VerificationFailedError(`check-sql query returned ${JSON.stringify(value) ?? 'no row'}, not true, in database ${query.database}: ${query.sql}`, { hint: 'the restored data does not pass this check' });
        return query.database;
      }, () => 'true');
    }
    await server!.stop();
    record.replayedTo = replayEnd(await readFile(target.logFile, 'utf8').catch(() => ''));
    guard();
    if (!facts.dataChecksums) log.info({ check: 'checksums', skipped: true }, 'pg_checksums: skipped (data checksums are off in this cluster)');
    else if (!bin!.has('pg_checksums')) log.info({ check: 'checksums', skipped: true }, `pg_checksums: skipped (no pg_checksums in ${bin!.dir})`);
    else await checks.run('checksums', () => runChecksums(bin!, target.dataDirectory, owner, deadline), (d) => d);
  }
}

// One cluster's status, read-only: postmaster.pid/PG_VERSION/pg_control (discovery), the server's
// archiving settings and pg_stat_archiver, the .ready files on disk, the daemon's socket, and through
// the cluster's own pgward settings the repository: its stamp, its backups, their newest verification
// and the WAL since the oldest backup. Nothing is stamped, registered, written or started. Every step
// runs under the probe's deadline; a step that does not finish is reported, never waited for.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { listBackups } from '../backup/catalog.js';
import type { DiscoveredCluster } from '../cluster/discover.js';
import { readClusterIdentity } from '../cluster/identity.js';
import { repositoryConfig } from '../config/repository.js';
import type { Settings } from '../config/settings.js';
import { callDaemon } from '../daemon/client.js';
import { defaultSocketPath, instanceName } from '../daemon/socket-path.js';
import { PgwardError } from '../errors/errors.js';
import { archiverStatus, archiveSettings } from '../postgres/archiving.js';
import { openVerifiedSession, type SessionOptions } from '../postgres/session.js';
import { openStorage } from '../repo/open.js';
import { repositorySize } from '../repo/repository-size.js';
import { readStamp } from '../repo/stamp.js';
import type { Storage } from '../storage/storage.js';
import { newestVerification } from '../verify/record.js';
import { walkArchive } from '../wal/archive-walk.js';
import { parseArchiveCommand, type PgwardArchiving } from './archive-command.js';
import type { ClusterStatus } from './cluster-status.js';
import { judge, type Thresholds } from './verdict.js';

export interface ProbeEnvironment {
  timeoutMs: number;
  thresholds: Thresholds;
  now: Date;
  /** the cluster's pgward settings, with the probe's own storage timeout forced */
  settingsFor(archiving: PgwardArchiving): Settings;
  sessionOptions(settings: Settings | undefined): SessionOptions;
  /** /etc/pgward: where the units' per-instance settings live */
  configDirectory: string;
}

class ProbeTimeout extends Error {}

function withDeadline<T>(work: Promise<T>, deadline: number, step: string): Promise<T> {
  const left = deadline - Date.now();
  if (left <= 0) return Promise.reject(new ProbeTimeout(`${step}: no time left within the probe's deadline`));
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new ProbeTimeout(`${step} did not answer within the probe's deadline`)), left);
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

const message = (err: unknown): string => (err instanceof PgwardError || err instanceof ProbeTimeout ? err.message : `unexpected error: ${(err as Error)?.message ?? String(err)}`);

async function readyFiles(dataDirectory: string): Promise<number | undefined> {
  const names = await readdir(join(dataDirectory, 'pg_wal', 'archive_status')).catch(() => undefined);
  return names?.filter((n) => n.endsWith('.ready')).length;
}

export async function probeCluster(found: DiscoveredCluster, env: ProbeEnvironment): Promise<ClusterStatus> {
  const deadline = Date.now() + env.timeoutMs;
  const status: Omit<ClusterStatus, 'verdict' | 'reasons'> = {
    cluster: found.name,
    dataDirectory: found.dataDirectory,
    ...(found.pgMajor ? { pgMajor: found.pgMajor } : {}),
    ...(found.systemIdentifier ? { systemIdentifier: found.systemIdentifier } : {}),
    ...(found.port !== undefined ? { port: found.port } : {}),
    running: found.status === 'online',
    errors: [],
  };
  if (found.status === 'unusable') status.unusable = found.problem ?? 'unreadable';
  let archiving: PgwardArchiving | undefined;
  if (status.running) {
    try {
      await probeServer(status, deadline, env);
      archiving = status.archiveCommand ? parseArchiveCommand(status.archiveCommand) : undefined;
      status.pgwardArchiving = archiving !== undefined;
    } catch (err) {
      status.errors.push(`server: ${message(err)}`);
    }
  }
  // Without settings in the archive_command (a stopped cluster, archiving off or not pgward's, or
  // `pgward wal-push %p` alone), the units' convention names the repository its backups go to.
  const conventional = join(env.configDirectory, `${instanceName(found.dataDirectory)}.conf`);
  if (!archiving?.configFile && !archiving?.envdir && existsSync(conventional)) archiving = { configFile: conventional };
  if (found.status !== 'unusable') status.readyFiles = await readyFiles(found.dataDirectory);
  if (archiving) {
    status.settings = { ...archiving, from: archiving.configFile ?? archiving.envdir ?? 'the default settings' };
    await probeRepository(status, archiving, deadline, env);
  }
  return { ...status, ...judge(status, env.thresholds, env.now) };
}

async function probeServer(status: Omit<ClusterStatus, 'verdict' | 'reasons'>, deadline: number, env: ProbeEnvironment): Promise<void> {
  const identity = await readClusterIdentity(status.dataDirectory);
  const session = await withDeadline(openVerifiedSession(identity, { ...env.sessionOptions(undefined), connectTimeoutMs: Math.max(1000, deadline - Date.now()) }), deadline, 'connecting to the server');
  try {
    const settings = await withDeadline(archiveSettings(session.client, { what: 'reading archive settings', command: 'status' }), deadline, 'reading archive settings');
    const archiver = await withDeadline(archiverStatus(session.client, { what: 'reading pg_stat_archiver', command: 'status' }), deadline, 'reading pg_stat_archiver');
    status.standby = session.server.inRecovery;
    status.archiveMode = settings.mode;
    status.archiveCommand = settings.command;
    if (settings.library) status.archiveLibrary = settings.library;
    const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
    status.archiver = {
      lastArchivedWal: archiver.lastArchivedWal,
      lastArchivedTime: iso(archiver.lastArchivedTime),
      lastFailedWal: archiver.lastFailedWal,
      lastFailedTime: iso(archiver.lastFailedTime),
      failing: archiver.lastFailedTime !== null && (archiver.lastArchivedTime === null || archiver.lastFailedTime > archiver.lastArchivedTime),
    };
  } finally {
    void session.close().catch(() => undefined);
  }
}

async function probeRepository(status: Omit<ClusterStatus, 'verdict' | 'reasons'>, archiving: PgwardArchiving, deadline: number, env: ProbeEnvironment): Promise<void> {
  let settings: Settings;
  let storage: Storage | undefined;
  try {
    settings = env.settingsFor(archiving);
    const config = repositoryConfig(settings);
    status.repository = { url: config.url, reachable: false };
    const socket = settings.get('daemonSocket')?.value ?? defaultSocketPath(status.dataDirectory, {});
    status.daemon = { socket, state: existsSync(socket) ? ((await callDaemon(socket, { v: 1, id: 1, op: 'ping' }, Math.min(1000, Math.max(100, deadline - Date.now())))) ? 'answering' : 'not answering') : 'not running' };
    storage = await withDeadline(openStorage(config, 'read'), deadline, 'opening the repository');
    const stamp = await withDeadline(readStamp(storage), deadline, 'reading the repository stamp');
    status.repository.reachable = true;
    status.repository.stamped = stamp !== undefined;
    if (stamp && status.systemIdentifier && (stamp.systemIdentifier !== status.systemIdentifier || stamp.pgMajor !== status.pgMajor)) {
      status.repository.belongsTo = `${stamp.clusterName} on ${stamp.host}, system identifier ${stamp.systemIdentifier}, PostgreSQL ${stamp.pgMajor}`;
      return;
    }
  } catch (err) {
    status.repository = { ...status.repository, reachable: false, error: message(err) };
    storage?.close();
    return;
  }
  try {
    status.repository.size = await withDeadline(repositorySize(storage), deadline, 'measuring the repository');
    await probeBackups(status, storage, deadline);
  } catch (err) {
    status.errors.push(message(err));
  } finally {
    storage.close();
  }
}

async function probeBackups(status: Omit<ClusterStatus, 'verdict' | 'reasons'>, storage: Storage, deadline: number): Promise<void> {
  let complete;
  try {
    ({ complete } = await withDeadline(listBackups(storage), deadline, 'listing backups'));
  } catch (err) {
    if (err instanceof ProbeTimeout) status.errors.push(err.message);
    else status.backups = { count: 0, error: message(err) };
    return;
  }
  const newest = complete.at(-1);
  status.backups = {
    count: complete.length,
    ...(newest ? { newest: { name: newest.name, finishedAt: newest.finishedAt, rawSize: newest.rawSize, storedSize: newest.storedSize, durationSeconds: newest.durationSeconds } } : {}),
  };
  try {
    status.verification = null;
    for (const sentinel of [...complete].reverse()) {
      const record = await withDeadline(newestVerification(storage, sentinel.name), deadline, 'reading verification records');
      if (!record) continue;
      const { backup, result, level, finishedAt, restoreSeconds, recoverySeconds, failedCheck, message: text } = record;
      status.verification = { backup, result, level, finishedAt, restoreSeconds, recoverySeconds, failedCheck, message: text };
      break;
    }
    const walk = await withDeadline(walkArchive(storage, complete[0] ? { fromSegment: complete[0].walStart } : {}), deadline, 'walking the WAL archive');
    const report = walk.report;
    status.wal = report
      ? {
          complete: report.missingCount === 0 && !walk.historyProblem,
          ...(report.from ? { from: report.from } : {}),
          ...(report.to ? { to: report.to } : {}),
          missingCount: report.missingCount,
          ...(report.missing[0] ? { firstMissing: report.missing[0].from } : {}),
          ...(walk.historyProblem ? { problem: walk.historyProblem } : {}),
        }
      : { complete: false, missingCount: 0, problem: 'no WAL segment archived yet' };
  } catch (err) {
    status.errors.push(message(err));
  }
}

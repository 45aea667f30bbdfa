// A base backup: start it on the verified connection, claim its name, stream the data directory and
// tablespaces as compressed tar partitions, stop it, store backup_label and tablespace_map, wait until
// the archive holds the WAL the backup needs, write the manifest, and the sentinel last. Every object
// is written once, under a name this backup claimed. Anything failing after the start stops the
// backup on the server and leaves no sentinel: the backup does not exist.
// On a standby the backup starts at the last restartpoint and its WAL is archived by the primary:
// nothing here can switch or archive it, so the wait says what ends it.
import { hostname } from 'node:os';
import type { ClusterIdentity } from '../cluster/identity.js';
import type { WriteMethod } from '../codec/compression.js';
import { InterruptedError, UsageError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { formatBytes, ProgressReporter } from '../log/progress.js';
import { archiveSettings, archiverStatus, walSegmentSize } from '../postgres/archiving.js';
import { abortBackup, startBackup, stopBackup, type BackupStart } from '../postgres/backup-api.js';
import { queryFailure } from '../postgres/query.js';
import type { VerifiedSession } from '../postgres/session.js';
import { backupObjectKey, backupPrefix, sentinelKey } from '../repo/layout.js';
import type { Storage } from '../storage/storage.js';
import { backupName, claimBackupName, putOnce } from './backup-name.js';
import { MANIFEST_FORMAT, SENTINEL_FORMAT, type BackupManifest, type BackupSentinel, type ManifestFile } from './manifest.js';
import { PartitionWriter, StopRequested } from './tar-partitions.js';
import { planBackup } from './walk.js';
import { waitForWal, walRange } from './wal-wait.js';

export interface BackupPushOptions {
  identity: ClusterIdentity;
  session: VerifiedSession;
  storage: Storage;
  log: Logger;
  compression: WriteMethod;
  fastCheckpoint: boolean;
  partitionSize: number;
  walTimeoutSeconds: number;
  progressIntervalMs: number;
  /** set by the command's SIGTERM/SIGINT handler */
  stopRequested: () => boolean;
  pgwardVersion: string;
  /** when the command started: the summary's duration counts from here */
  commandStartedAt: Date;
}

const COMMAND = 'backup-push';

/** A backup without archived WAL cannot be restored: refuse before starting rather than after copying. */
async function requireArchiving(session: VerifiedSession): Promise<void> {
  const settings = await archiveSettings(session.client, { what: 'reading archive_mode', command: COMMAND });
  if (settings.mode === 'off') {
    throw new UsageError('archive_mode is off: a backup of this cluster could not be restored (its WAL would not be archived)', {
      hint: "set archive_mode = on and archive_command = 'pgward wal-push %p', restart the server, then run backup-push",
    });
  }
}

/** pg_backup_start, with a line every progress interval while a spread checkpoint runs. */
async function startWithHeartbeat(options: BackupPushOptions, label: string): Promise<BackupStart> {
  const { session, log } = options;
  log.info(
    { phase: 'checkpoint', fastCheckpoint: options.fastCheckpoint, standby: session.server.inRecovery },
    options.fastCheckpoint
      ? `starting the backup: waiting for an immediate ${session.server.inRecovery ? 'restartpoint' : 'checkpoint'}`
      : 'starting the backup: waiting for the next checkpoint, spread over checkpoint_completion_target (can take minutes; --fast-checkpoint asks for an immediate one)',
  );
  const waitStarted = Date.now();
  const heartbeat = setInterval(() => {
    const seconds = Math.round((Date.now() - waitStarted) / 1000);
    log.info({ phase: 'checkpoint', seconds }, `still waiting for the checkpoint, ${seconds} s`);
  }, options.progressIntervalMs);
  try {
    return await startBackup(session.client, session.server.serverVersionNum, label, options.fastCheckpoint);
  } finally {
    clearInterval(heartbeat);
  }
}

export async function pushBackup(options: BackupPushOptions): Promise<BackupSentinel> {
  const { identity, session, storage, log } = options;
  const versionNum = session.server.serverVersionNum;
  const standby = session.server.inRecovery;
  const size = await walSegmentSize(session.client, { what: 'reading wal_segment_size', command: COMMAND });
  if (standby) {
    log.info({ standby: true }, 'the server is a standby: the backup starts at its last restartpoint, and its WAL comes from the primary\'s archive');
  } else {
    await requireArchiving(session);
  }
  const label = `pgward ${new Date().toISOString()}`;
  const start = await startWithHeartbeat(options, label);
  let name = backupName(start.timeline, start.lsn, size);
  let blog = log.child({ backup: name });
  let writer: PartitionWriter | undefined;
  let progress: ProgressReporter | undefined;
  try {
    const claim = await claimBackupName(storage, name, {
      systemIdentifier: identity.systemIdentifier,
      dataDirectory: identity.dataDirectory,
      host: hostname(),
      startLsn: start.lsn,
      timeline: start.timeline,
      claimedAt: new Date().toISOString(),
    });
    if (claim.taken) {
      name = claim.name;
      blog = log.child({ backup: name });
      blog.warn({ taken: claim.taken }, `backup name ${claim.taken} (from the start LSN) is already taken in the repository; this backup is ${name}`);
    }
    const serverAlive = (): void => {
      const lost = session.lost();
      if (lost) throw queryFailure({ what: 'the connection that holds the backup', command: COMMAND }, lost);
    };
    blog.info({ phase: 'started', startLsn: start.lsn, timeline: start.timeline }, `backup ${name} started at ${start.lsn}`);
    const plan = await planBackup(identity.dataDirectory);
    for (const link of plan.followedLinks) {
      blog.info({ link: link.name, target: link.target }, `${link.name} is a link to ${link.target}: backed up as what it points to; a restore brings it back as a plain folder or file in the data directory`);
    }
    blog.info({ phase: 'streaming', files: plan.entries.filter((e) => e.type === 'file').length, bytesTotal: plan.totalBytes, tablespaces: plan.tablespaces.length }, `streaming ${formatBytes(plan.totalBytes)} in ${plan.entries.length} entries to ${storage.location}/${backupPrefix(name)}`);
    const w = new PartitionWriter({
      storage,
      backupName: name,
      compression: options.compression,
      partitionSize: options.partitionSize,
      onBytes: (bytes) => progress?.add(bytes),
      shouldStop: options.stopRequested,
    });
    writer = w;
    progress = new ProgressReporter(blog, plan.totalBytes, () => ({ partition: w.partitionNumber }));
    progress.start(options.progressIntervalMs);
    const files: ManifestFile[] = [];
    for (const entry of plan.entries) {
      // A backup whose server stopped cannot be stopped or used: end the copy now, not at the end.
      serverAlive();
      const file = await w.add(entry);
      if (file) files.push(file);
    }
    const partitions = await w.finish();
    progress.stop();
    progress.report();

    blog.info({ phase: 'stopping' }, 'stopping the backup');
    const stop = await stopBackup(session.client, versionNum, false);
    await putOnce(storage, backupObjectKey(name, 'backup_label'), Buffer.from(stop.backupLabel));
    await putOnce(storage, backupObjectKey(name, 'tablespace_map'), Buffer.from(stop.tablespaceMap));

    const range = walRange(start.timeline, start.lsn, stop.lsn, size);
    await waitForWal({
      storage,
      range,
      timeoutSeconds: options.walTimeoutSeconds,
      log: blog,
      neededBy: 'the backup',
      progressIntervalMs: options.progressIntervalMs,
      shouldStop: options.stopRequested,
      ...(standby
        ? {
            explanation: `this is a standby, so the primary archives them; ${range.last} is archived once the primary fills or switches it (archive_timeout on the primary bounds this wait; SELECT pg_switch_wal() on the primary ends it now)`,
            hint: 'the primary must archive into this repository: check its archive_command, set archive_timeout on the primary (or run SELECT pg_switch_wal() there), or raise PGWARD_BACKUP_WAL_TIMEOUT; then run backup-push again',
          }
        : {
            archiver: () => archiverStatus(session.client, { what: 'reading pg_stat_archiver', command: COMMAND }),
            hint: 'check archive_command (pg_stat_archiver, the server log) and that it archives to this repository; the backup is not usable without them',
          }),
    });

    const manifest: BackupManifest = {
      format: MANIFEST_FORMAT,
      name,
      compression: options.compression,
      files,
      directories: plan.entries.filter((e) => e.type === 'directory').map((e) => ({ name: e.name, mode: e.mode })),
      symlinks: plan.entries.filter((e) => e.type === 'symlink').map((e) => ({ name: e.name, target: e.linkTarget! })),
      tablespaces: plan.tablespaces,
      partitions,
    };
    await putOnce(storage, backupObjectKey(name, 'manifest.json'), Buffer.from(JSON.stringify(manifest)));
    const finishedAt = new Date();
    const sentinel: BackupSentinel = {
      format: SENTINEL_FORMAT,
      name,
      label,
      startLsn: start.lsn,
      stopLsn: stop.lsn,
      timeline: start.timeline,
      walStart: range.first,
      walStop: range.last,
      pgVersion: session.server.serverVersion,
      pgVersionNum: versionNum,
      pgMajor: identity.pgMajor,
      systemIdentifier: identity.systemIdentifier,
      clusterName: identity.name,
      dataDirectory: identity.dataDirectory,
      port: session.target.port,
      host: hostname(),
      rawSize: files.reduce((sum, f) => sum + f.size, 0),
      storedSize: partitions.reduce((sum, p) => sum + p.storedSize, 0),
      files: files.length,
      partitions: partitions.length,
      compression: options.compression,
      fastCheckpoint: options.fastCheckpoint,
      fromStandby: standby,
      tablespaces: plan.tablespaces,
      startedAt: start.startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationSeconds: Number(((finishedAt.getTime() - options.commandStartedAt.getTime()) / 1000).toFixed(3)),
      pgwardVersion: options.pgwardVersion,
    };
    // Written last, and only if absent: a backup without its sentinel does not exist, and a
    // sentinel is never replaced.
    await putOnce(storage, sentinelKey(name), Buffer.from(JSON.stringify(sentinel, null, 2)));
    blog.info({ phase: 'complete', rawSize: sentinel.rawSize, storedSize: sentinel.storedSize, durationSeconds: sentinel.durationSeconds, walStart: range.first, walStop: range.last }, `backup ${name} complete: ${formatBytes(sentinel.rawSize)} stored as ${formatBytes(sentinel.storedSize)} in ${sentinel.durationSeconds} s`);
    return sentinel;
  } catch (err) {
    progress?.stop();
    writer?.abort(err instanceof Error ? err : new Error(String(err)));
    if (session.lost()) {
      blog.warn({ phase: 'aborting' }, 'backup failed: the server connection is gone, so PostgreSQL has ended the backup itself; no sentinel is written, so it will not list as complete');
    } else {
      blog.warn({ phase: 'aborting' }, 'backup failed: stopping it on the server; no sentinel is written, so it will not list as complete');
      await abortBackup(session.client, versionNum);
    }
    if (err instanceof StopRequested) {
      throw new InterruptedError(`backup ${name} was stopped by a signal; it was ended on the server and is incomplete`, {
        hint: 'run backup-push again; incomplete backups show with backup-list --all',
      });
    }
    throw err;
  }
}

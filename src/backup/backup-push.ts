// A base backup: start it on the verified connection, stream the data directory and tablespaces as
// compressed tar partitions, stop it, store backup_label and tablespace_map, wait until the archive
// holds the WAL the backup needs, write the manifest, and the sentinel last. Anything failing after
// the start stops the backup on the server and leaves no sentinel: the backup does not exist.
import { hostname } from 'node:os';
import type { ClusterIdentity } from '../cluster/identity.js';
import type { WriteMethod } from '../codec/compression.js';
import { InterruptedError, UsageError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { formatBytes, ProgressReporter } from '../log/progress.js';
import { abortBackup, startBackup, stopBackup } from '../postgres/backup-api.js';
import type { VerifiedSession } from '../postgres/session.js';
import { backupObjectKey, backupPrefix, sentinelKey } from '../repo/layout.js';
import type { Storage } from '../storage/storage.js';
import { parseLsn, segmentName, segmentOfLsn } from '../wal/wal-file-name.js';
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
}

async function segmentSize(session: VerifiedSession): Promise<number> {
  const { rows } = await session.client.query<{ bytes: string }>("SELECT setting::bigint * CASE unit WHEN 'MB' THEN 1048576 WHEN 'kB' THEN 1024 ELSE 1 END AS bytes FROM pg_settings WHERE name = 'wal_segment_size'");
  return Number(rows[0]!.bytes);
}

/** A backup without archived WAL cannot be restored: refuse before starting rather than after copying. */
async function requireArchiving(session: VerifiedSession): Promise<void> {
  const { rows } = await session.client.query<{ mode: string }>("SELECT current_setting('archive_mode') AS mode");
  if (rows[0]!.mode === 'off') {
    throw new UsageError('archive_mode is off: a backup of this cluster could not be restored (its WAL would not be archived)', {
      hint: "set archive_mode = on and archive_command = 'pgward wal-push %p', restart the server, then run backup-push",
    });
  }
}

export function backupName(timeline: number, startLsn: string, size: number): string {
  const lsn = parseLsn(startLsn);
  const offset = (lsn % BigInt(size)).toString(16).toUpperCase().padStart(8, '0');
  return `base_${segmentName(timeline, segmentOfLsn(lsn, size), size)}_${offset}`;
}

export async function pushBackup(options: BackupPushOptions): Promise<BackupSentinel> {
  const { identity, session, storage, log } = options;
  const versionNum = session.server.serverVersionNum;
  const size = await segmentSize(session);
  await requireArchiving(session);
  const label = `pgward ${new Date().toISOString()}`;
  log.info(
    { phase: 'checkpoint', fastCheckpoint: options.fastCheckpoint },
    options.fastCheckpoint
      ? 'starting the backup: waiting for an immediate checkpoint'
      : 'starting the backup: waiting for the next checkpoint, spread over checkpoint_completion_target (can take minutes; --fast-checkpoint asks for an immediate one)',
  );
  const start = await startBackup(session.client, versionNum, label, options.fastCheckpoint);
  const name = backupName(start.timeline, start.lsn, size);
  const blog = log.child({ backup: name });
  let writer: PartitionWriter | undefined;
  let progress: ProgressReporter | undefined;
  try {
    blog.info({ phase: 'started', startLsn: start.lsn, timeline: start.timeline }, `backup ${name} started at ${start.lsn}`);
    const plan = await planBackup(identity.dataDirectory);
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
      const file = await w.add(entry);
      if (file) files.push(file);
    }
    const partitions = await w.finish();
    progress.stop();
    progress.report();

    blog.info({ phase: 'stopping' }, 'stopping the backup');
    const stop = await stopBackup(session.client, versionNum, false);
    await storage.put(backupObjectKey(name, 'backup_label'), Buffer.from(stop.backupLabel));
    await storage.put(backupObjectKey(name, 'tablespace_map'), Buffer.from(stop.tablespaceMap));

    const range = walRange(start.timeline, start.lsn, stop.lsn, size);
    await waitForWal(storage, range, options.walTimeoutSeconds, blog, async () => {
      const { rows } = await session.client.query<{ last_failed_wal: string | null; last_failed_time: Date | null; last_archived_time: Date | null }>(
        'SELECT last_failed_wal, last_failed_time, last_archived_time FROM pg_stat_archiver',
      );
      const row = rows[0]!;
      return { lastFailedWal: row.last_failed_wal, lastFailedTime: row.last_failed_time, lastArchivedTime: row.last_archived_time };
    }, options.stopRequested);

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
    await storage.put(backupObjectKey(name, 'manifest.json'), Buffer.from(JSON.stringify(manifest)));
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
      tablespaces: plan.tablespaces,
      startedAt: start.startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationSeconds: Number(((finishedAt.getTime() - start.startedAt.getTime()) / 1000).toFixed(3)),
      pgwardVersion: options.pgwardVersion,
    };
    // Written last: a backup without its sentinel does not exist.
    await storage.put(sentinelKey(name), Buffer.from(JSON.stringify(sentinel, null, 2)));
    blog.info({ phase: 'complete', rawSize: sentinel.rawSize, storedSize: sentinel.storedSize, durationSeconds: sentinel.durationSeconds, walStart: range.first, walStop: range.last }, `backup ${name} complete: ${formatBytes(sentinel.rawSize)} stored as ${formatBytes(sentinel.storedSize)} in ${sentinel.durationSeconds} s`);
    return sentinel;
  } catch (err) {
    progress?.stop();
    writer?.abort(err instanceof Error ? err : new Error(String(err)));
    blog.warn({ phase: 'aborting' }, 'backup failed: stopping it on the server; no sentinel is written, so it will not list as complete');
    await abortBackup(session.client, versionNum);
    if (err instanceof StopRequested) {
      throw new InterruptedError(`backup ${name} was stopped by a signal; it was ended on the server and is incomplete`, {
        hint: 'run backup-push again; incomplete backups show with backup-list --all',
      });
    }
    throw err;
  }
}

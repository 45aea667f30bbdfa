// `pgward status --prometheus FILE`: the status of every cluster as Prometheus gauges, for
// node_exporter's textfile collector (the convention for facts a batch job finds out). One registry of
// its own per run, so nothing of a daemon's metrics or of an earlier run leaks in. The file is written
// to a temporary name in the same folder and renamed, so the collector never reads half a file.
import { rename, writeFile, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Gauge, Registry } from 'prom-client';
import type { ClusterStatus, Verdict } from '../status/cluster-status.js';

const LABELS = ['cluster', 'version', 'system_identifier'] as const;
const VERDICT_VALUE: Record<Verdict, number> = { OK: 0, WARNING: 1, CRITICAL: 2 };
const seconds = (iso: string | null | undefined): number | undefined => (iso ? new Date(iso).getTime() / 1000 : undefined);

export function statusRegistry(clusters: readonly ClusterStatus[]): Registry {
  const registry = new Registry();
  const gauge = (name: string, help: string): Gauge<(typeof LABELS)[number]> => new Gauge({ name, help, labelNames: LABELS, registers: [registry] });
  const g = {
    verdict: gauge('pgward_status_verdict', 'Status verdict of the cluster: 0 OK, 1 WARNING, 2 CRITICAL'),
    up: gauge('pgward_cluster_up', '1 when the cluster is running'),
    archiving: gauge('pgward_archiving_configured', '1 when archive_mode is on and archive_command runs pgward'),
    failing: gauge('pgward_archiving_failing', '1 when the last archive_command attempt failed'),
    lastArchived: gauge('pgward_last_archived_timestamp_seconds', 'When the last WAL file was archived (pg_stat_archiver)'),
    lastFailed: gauge('pgward_last_archive_failure_timestamp_seconds', 'When archive_command last failed (pg_stat_archiver)'),
    ready: gauge('pgward_wal_ready_files', 'WAL files waiting for archive_command (.ready)'),
    daemon: gauge('pgward_daemon_up', '1 when the cluster daemon answers on its socket'),
    reachable: gauge('pgward_repository_reachable', '1 when the repository answered and belongs to this cluster'),
    backups: gauge('pgward_backups', 'Complete backups in the repository'),
    backupTime: gauge('pgward_backup_newest_timestamp_seconds', 'When the newest complete backup finished'),
    backupSize: gauge('pgward_backup_newest_size_bytes', 'Size of the newest complete backup (data directory bytes)'),
    backupStored: gauge('pgward_backup_newest_stored_bytes', 'Stored (compressed) size of the newest complete backup'),
    backupDuration: gauge('pgward_backup_newest_duration_seconds', 'How long the newest complete backup took'),
    verifyTime: gauge('pgward_verification_newest_timestamp_seconds', 'When the newest verification finished'),
    verifyOk: gauge('pgward_verification_newest_success', '1 when the newest verification passed, 0 when it failed'),
    recovery: gauge('pgward_verification_recovery_seconds', 'Restore plus recovery time measured by the newest restore-level verification'),
    walBytes: gauge('pgward_repository_wal_bytes', 'Bytes of WAL objects in the repository'),
    backupBytes: gauge('pgward_repository_backup_bytes', 'Bytes of backup objects in the repository (partitions, manifests, sentinels, records)'),
    walComplete: gauge('pgward_wal_archive_complete', '1 when every WAL segment since the oldest backup is archived'),
    reasons: gauge('pgward_status_reasons', 'Reasons status gives for a WARNING or CRITICAL verdict'),
  };
  for (const c of clusters) {
    const labels = { cluster: c.cluster, version: c.pgMajor ?? '', system_identifier: c.systemIdentifier ?? '' };
    const set = (metric: Gauge<(typeof LABELS)[number]>, value: number | boolean | undefined | null): void => {
      if (value !== undefined && value !== null) metric.set(labels, Number(value));
    };
    set(g.verdict, VERDICT_VALUE[c.verdict]);
    set(g.up, c.running);
    set(g.archiving, c.archiveMode === undefined ? undefined : c.archiveMode !== 'off' && c.pgwardArchiving === true);
    set(g.failing, c.archiver?.failing);
    set(g.lastArchived, seconds(c.archiver?.lastArchivedTime));
    set(g.lastFailed, seconds(c.archiver?.lastFailedTime));
    set(g.ready, c.readyFiles);
    set(g.daemon, c.daemon ? c.daemon.state === 'answering' : undefined);
    set(g.reachable, c.repository ? c.repository.reachable && !c.repository.belongsTo : undefined);
    set(g.backups, c.backups?.count);
    set(g.backupTime, seconds(c.backups?.newest?.finishedAt));
    set(g.backupSize, c.backups?.newest?.rawSize);
    set(g.backupStored, c.backups?.newest?.storedSize);
    set(g.backupDuration, c.backups?.newest?.durationSeconds);
    set(g.verifyTime, seconds(c.verification?.finishedAt));
    set(g.verifyOk, c.verification ? c.verification.result === 'verified' : undefined);
    if (c.verification?.restoreSeconds !== undefined) set(g.recovery, c.verification.restoreSeconds + (c.verification.recoverySeconds ?? 0));
    set(g.walBytes, c.repository?.size?.wal.bytes);
    set(g.backupBytes, c.repository?.size?.backups.bytes);
    set(g.walComplete, c.wal?.complete);
    set(g.reasons, c.reasons.length);
  }
  return registry;
}

/** Writes the exposition text atomically (same-folder temporary file, then rename), mode 0644. */
export async function writeStatusMetrics(file: string, clusters: readonly ClusterStatus[]): Promise<void> {
  const text = await statusRegistry(clusters).metrics();
  const temporary = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    await writeFile(temporary, text, { mode: 0o644 });
    await rename(temporary, file);
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    throw err;
  }
}

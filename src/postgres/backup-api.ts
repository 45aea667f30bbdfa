// The low-level backup API, non-exclusive mode, on the one connection that must stay open from start
// to stop (if it drops, PostgreSQL aborts the backup by itself):
//   PostgreSQL 15+   pg_backup_start(label, fast)      pg_backup_stop(wait_for_archive)
//   PostgreSQL 10-14 pg_start_backup(label, fast, false) pg_stop_backup(false, wait_for_archive)
import type pg from 'pg';
import { runQuery } from './query.js';

export interface BackupStart {
  lsn: string;
  timeline: number;
  startedAt: Date;
}

export interface BackupStop {
  lsn: string;
  backupLabel: string;
  tablespaceMap: string;
}

function newApi(versionNum: number): boolean {
  return versionNum >= 150000;
}

export async function startBackup(client: pg.Client, versionNum: number, label: string, fast: boolean): Promise<BackupStart> {
  const purpose = { what: 'starting the backup', command: 'backup-push' };
  const sql = newApi(versionNum) ? 'SELECT pg_backup_start($1, $2)::text AS lsn' : 'SELECT pg_start_backup($1, $2, false)::text AS lsn';
  const rows = await runQuery<{ lsn: string }>(client, purpose, sql, [label, fast]);
  // The timeline the backup starts on: the checkpoint's (on a standby the restartpoint's), which
  // pg_control_checkpoint() reports.
  const tl = await runQuery<{ timeline_id: number }>(client, purpose, 'SELECT timeline_id FROM pg_control_checkpoint()');
  return { lsn: rows[0]!.lsn, timeline: tl[0]!.timeline_id, startedAt: new Date() };
}

export async function stopBackup(client: pg.Client, versionNum: number, waitForArchive: boolean): Promise<BackupStop> {
  const sql = newApi(versionNum)
    ? 'SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_backup_stop($1)'
    : 'SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_stop_backup(false, $1)';
  const rows = await runQuery<{ lsn: string; labelfile: string; spcmapfile: string | null }>(client, { what: 'stopping the backup', command: 'backup-push' }, sql, [waitForArchive]);
  const row = rows[0]!;
  return { lsn: row.lsn, backupLabel: row.labelfile, tablespaceMap: row.spcmapfile ?? '' };
}

/** Best effort: end a backup whose copy failed, so no session is left in backup mode. */
export async function abortBackup(client: pg.Client, versionNum: number): Promise<void> {
  await stopBackup(client, versionNum, false).catch(() => undefined);
}

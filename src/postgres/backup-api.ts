// The low-level backup API, non-exclusive mode, on the one connection that must stay open from start
// to stop (if it drops, PostgreSQL aborts the backup by itself):
//   PostgreSQL 15+   pg_backup_start(label, fast)      pg_backup_stop(wait_for_archive)
//   PostgreSQL 10-14 pg_start_backup(label, fast, false) pg_stop_backup(false, wait_for_archive)
import type pg from 'pg';
import { PostgresError } from '../errors/errors.js';

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

function pgFailure(what: string, err: unknown): PostgresError {
  return new PostgresError(`${what} failed: ${(err as Error).message}`, {
    hint: 'the role needs the backup functions (superuser, or EXECUTE on them); archive_mode must be on for a backup to be restorable',
    cause: err,
  });
}

export async function startBackup(client: pg.Client, versionNum: number, label: string, fast: boolean): Promise<BackupStart> {
  try {
    const sql = newApi(versionNum) ? 'SELECT pg_backup_start($1, $2)::text AS lsn' : 'SELECT pg_start_backup($1, $2, false)::text AS lsn';
    const { rows } = await client.query<{ lsn: string }>(sql, [label, fast]);
    // The timeline the backup starts on: the checkpoint's, which pg_control_checkpoint() reports.
    const tl = await client.query<{ timeline_id: number }>('SELECT timeline_id FROM pg_control_checkpoint()');
    return { lsn: rows[0]!.lsn, timeline: tl.rows[0]!.timeline_id, startedAt: new Date() };
  } catch (err) {
    throw pgFailure('starting the backup', err);
  }
}

export async function stopBackup(client: pg.Client, versionNum: number, waitForArchive: boolean): Promise<BackupStop> {
  try {
    const sql = newApi(versionNum)
      ? 'SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_backup_stop($1)'
      : 'SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_stop_backup(false, $1)';
    const { rows } = await client.query<{ lsn: string; labelfile: string; spcmapfile: string | null }>(sql, [waitForArchive]);
    const row = rows[0]!;
    return { lsn: row.lsn, backupLabel: row.labelfile, tablespaceMap: row.spcmapfile ?? '' };
  } catch (err) {
    throw pgFailure('stopping the backup', err);
  }
}

/** Best effort: end a backup whose copy failed, so no session is left in backup mode. */
export async function abortBackup(client: pg.Client, versionNum: number): Promise<void> {
  await stopBackup(client, versionNum, false).catch(() => undefined);
}

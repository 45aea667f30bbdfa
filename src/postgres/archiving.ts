// What the server says about WAL archiving: the settings that decide whether segments leave the
// server at all, the archiver's own statistics, the segment size, and a forced segment switch (the
// way `check` proves that a segment written now reaches the repository).
import type pg from 'pg';
import { runQuery, type QueryPurpose } from './query.js';

export interface ArchiveSettings {
  /** off, on or always */
  mode: string;
  command: string;
  /** PostgreSQL 15+: an archive module instead of a command ('' when none or before 15) */
  library: string;
}

export interface ArchiverStatus {
  lastFailedWal: string | null;
  lastFailedTime: Date | null;
  lastArchivedWal: string | null;
  lastArchivedTime: Date | null;
}

export async function walSegmentSize(client: pg.Client, purpose: QueryPurpose): Promise<number> {
  const rows = await runQuery<{ bytes: string }>(
    client,
    purpose,
    "SELECT setting::bigint * CASE unit WHEN 'MB' THEN 1048576 WHEN 'kB' THEN 1024 ELSE 1 END AS bytes FROM pg_settings WHERE name = 'wal_segment_size'",
  );
  return Number(rows[0]!.bytes);
}

export async function archiveSettings(client: pg.Client, purpose: QueryPurpose): Promise<ArchiveSettings> {
  const rows = await runQuery<{ mode: string; command: string; library: string | null }>(
    client,
    purpose,
    "SELECT current_setting('archive_mode') AS mode, current_setting('archive_command') AS command, current_setting('archive_library', true) AS library",
  );
  const row = rows[0]!;
  return { mode: row.mode, command: row.command, library: row.library ?? '' };
}

export async function archiverStatus(client: pg.Client, purpose: QueryPurpose): Promise<ArchiverStatus> {
  const rows = await runQuery<{ last_failed_wal: string | null; last_failed_time: Date | null; last_archived_wal: string | null; last_archived_time: Date | null }>(
    client,
    purpose,
    'SELECT last_failed_wal, last_failed_time, last_archived_wal, last_archived_time FROM pg_stat_archiver',
  );
  const row = rows[0]!;
  return { lastFailedWal: row.last_failed_wal, lastFailedTime: row.last_failed_time, lastArchivedWal: row.last_archived_wal, lastArchivedTime: row.last_archived_time };
}

/**
 * Write a restore point, then switch to a new segment, and return the name of the segment the switch
 * completed. pg_switch_wal() is a no-op on a segment with nothing new in it, so something is written
 * first; a restore point (as pgBackRest's check does) works on every major 10+ with wal_level replica.
 */
export async function switchSegment(client: pg.Client, purpose: QueryPurpose): Promise<{ segment: string; lsn: string }> {
  await runQuery(client, purpose, "SELECT pg_create_restore_point('pgward archive check')");
  const rows = await runQuery<{ segment: string; lsn: string }>(client, purpose, 'SELECT pg_walfile_name(lsn) AS segment, lsn::text AS lsn FROM pg_switch_wal() AS lsn');
  return rows[0]!;
}

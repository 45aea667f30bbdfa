// archive_command and restore_command for test clusters: PostgreSQL runs pgward itself, as the
// postgres user, with the settings in a config file (as a DBA would keep them in /etc/pgward).
import { chownSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { runPgward } from './cli.js';
import { PG_BIN_DIRS } from './paths.js';
import { osUser } from './os-user.js';
import { PGWARD_BIN } from './paths.js';
import { postgresOwnedDir, type TestCluster } from './postgres.js';

export function writePgwardConfig(settings: Record<string, string>): string {
  const dir = postgresOwnedDir('conf-');
  const path = join(dir, 'pgward.conf');
  writeFileSync(path, Object.entries(settings).map(([key, value]) => `${key}=${value}\n`).join(''));
  const user = osUser('postgres');
  chownSync(path, user.uid, user.gid);
  return path;
}

export function pgwardCommand(configFile: string, args: string): string {
  return `'${process.execPath}' '${PGWARD_BIN}' --config '${configFile}' ${args}`;
}

export function archiveSettings(configFile: string): Record<string, string> {
  return {
    archive_mode: 'on',
    archive_command: pgwardCommand(configFile, 'wal-push %p'),
    // Keep archived segments in pg_wal so tests can compare them with the archive.
    wal_keep_size: '2GB',
  };
}

export async function waitArchived(cluster: TestCluster, segment: string, ms = 60_000): Promise<{ archived: number; failed: number; last: string | null }> {
  const until = Date.now() + ms;
  for (;;) {
    const [row] = await cluster.query<{ archived_count: string; failed_count: string; last_archived_wal: string | null }>('SELECT archived_count, failed_count, last_archived_wal FROM pg_stat_archiver');
    if (row!.last_archived_wal !== null && row!.last_archived_wal >= segment) {
      return { archived: Number(row!.archived_count), failed: Number(row!.failed_count), last: row!.last_archived_wal };
    }
    if (Date.now() > until) throw new Error(`${segment} not archived in ${ms} ms: ${JSON.stringify(row)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Switch to a new segment and return the name of the one just completed. */
export async function switchWal(cluster: TestCluster): Promise<string> {
  // pg_switch_wal() does nothing on an idle segment: write something first.
  await cluster.query('CREATE TABLE IF NOT EXISTS pgward_switch (at timestamptz); INSERT INTO pgward_switch VALUES (now())');
  const [row] = await cluster.query<{ name: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS name');
  return row!.name;
}

/** A base backup without WAL (pg_basebackup -X none, Debian's 15): it can only recover from the archive. */
export async function baseBackupWithoutWal(cluster: TestCluster): Promise<string> {
  const user = osUser('postgres');
  const target = join(postgresOwnedDir('restore-'), 'data');
  const conn = cluster.connection();
  await execa(join(PG_BIN_DIRS['15']!, 'pg_basebackup'), ['-h', conn.host, '-p', String(conn.port), '-U', 'postgres', '-D', target, '-X', 'none', '-c', 'fast'], { uid: user.uid, gid: user.gid });
  return target;
}

/** One `backup-push --fast-checkpoint` of `cluster` with the settings in `configFile`; its backup's name. */
export async function pushBackup(cluster: TestCluster, configFile: string, extra: string[] = []): Promise<string> {
  const result = await runPgward(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint', '--json', ...extra], { env: { PGUSER: 'postgres' } });
  if (result.exitCode !== 0) throw new Error(`backup-push failed (${result.exitCode}): ${result.stderr}`);
  return String((JSON.parse(result.stdout) as { name: string }).name);
}

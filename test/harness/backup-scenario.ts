// The backup round trip as a reusable scenario: a cluster of one major with pgbench data and a
// table in a second tablespace, archiving through pgward; backup-push while pgbench writes;
// backup-fetch into a fresh directory (tablespace remapped); PostgreSQL recovers through wal-fetch.
import { chownSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { archiveSettings, switchWal, waitArchived, writePgwardConfig } from './archiving.js';
import { runPgward, type CliResult } from './cli.js';
import { osUser } from './os-user.js';
import { PG_BIN_DIRS } from './paths.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type ClusterOptions, type TestCluster } from './postgres.js';

export interface Scenario {
  cluster: TestCluster;
  configFile: string;
  tablespaceDir: string;
  pgbench(args: string[]): ResultPromise;
  backupPush(extra?: string[], env?: Record<string, string>): Promise<CliResult>;
  restore(backup: string, extra?: string[]): Promise<TestCluster>;
  checksums(cluster: TestCluster): Promise<Record<string, string>>;
  archiveAll(): Promise<void>;
  destroy(): Promise<void>;
}

const restored: TestCluster[] = [];

export async function createScenario(version: ClusterOptions['version'], repoEnv: Record<string, string>): Promise<Scenario> {
  const user = osUser('postgres');
  const configFile = writePgwardConfig({ ...repoEnv, PGWARD_PARTITION_SIZE_MB: '8', PGWARD_PROGRESS_INTERVAL: '1', PGWARD_BACKUP_WAL_TIMEOUT: '60' });
  const cluster = await createCluster({ version, extraConfig: archiveSettings(configFile) });
  const tablespaceDir = join(postgresOwnedDir('ts-'), 'ts');
  mkdirSync(tablespaceDir);
  chownSync(tablespaceDir, user.uid, user.gid);
  await cluster.query(`CREATE TABLESPACE second LOCATION '${tablespaceDir}'`);
  await cluster.query("CREATE TABLE in_second (id int, payload text) TABLESPACE second; INSERT INTO in_second SELECT g, md5(g::text) FROM generate_series(1, 20000) g");
  // An unlogged table: only its init fork is backed up; it comes back empty.
  await cluster.query("CREATE UNLOGGED TABLE scratch AS SELECT g FROM generate_series(1, 1000) g");
  const conn = cluster.connection();
  const pgbench = (args: string[]) => execa(join(PG_BIN_DIRS['15']!, 'pgbench'), ['-h', conn.host, '-p', String(conn.port), '-U', 'postgres', ...args, 'postgres']);
  await pgbench(['-i', '-s', '1', '-q']);

  const scenario: Scenario = {
    cluster,
    configFile,
    tablespaceDir,
    pgbench,
    backupPush: (extra = [], env = {}) =>
      runPgward(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint', ...extra], { env: { PGUSER: 'postgres', ...env } }),
    async restore(backup, extra = []) {
      const base = postgresOwnedDir('restored-');
      const target = join(base, 'data');
      const ts = join(base, 'ts');
      const result = await runPgward(['backup-fetch', target, backup, '--config', configFile, '--no-archive', '--tablespace-map', `${tablespaceDir}=${ts}`, ...extra]);
      if (result.exitCode !== 0) throw new Error(`backup-fetch failed (${result.exitCode}): ${result.stderr}`);
      const copy = await clusterFromDataDirectory(version, target);
      restored.push(copy);
      await copy.start();
      await copy.waitPromoted();
      return copy;
    },
    async checksums(target) {
      const tables = await target.query<{ name: string }>("SELECT relname AS name FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace AND relpersistence = 'p' ORDER BY 1");
      const sums: Record<string, string> = {};
      for (const { name } of tables) {
        const [row] = await target.query<{ sum: string }>(`SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') AS sum FROM ${name} t`);
        sums[name] = row!.sum;
      }
      return sums;
    },
    async archiveAll() {
      await waitArchived(cluster, await switchWal(cluster));
    },
    async destroy() {
      await Promise.all(restored.splice(0).map((c) => c.destroy()));
      await cluster.destroy();
    },
  };
  return scenario;
}

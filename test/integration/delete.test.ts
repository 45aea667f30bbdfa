// delete retain N on a real repository: a dry run deletes nothing; with --confirm the oldest backup and
// the WAL only it needed go, and the oldest kept backup still restores and recovers.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { runPgward, listBackupsJson } from '../harness/cli.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let cluster: TestCluster;
let restored: TestCluster | undefined;
let config: string;
let repo: string;
const names: string[] = [];

beforeAll(async () => {
  repo = join(postgresOwnedDir('delete-repo-'), 'repo');
  config = writePgwardConfig({ PGWARD_REPO: `file://${repo}` });
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(config) });
  for (let i = 0; i < 3; i++) {
    await cluster.query(`CREATE TABLE t${i} AS SELECT generate_series(1, 10000) AS x`);
    await waitArchived(cluster, await switchWal(cluster));
    const pushed = await runPgward(['backup-push', cluster.dataDirectory, '--config', config, '--fast-checkpoint'], { env: { PGUSER: 'postgres' } });
    expect(pushed.exitCode).toBe(0);
    names.push(pushed.stdout.trim());
  }
  await waitArchived(cluster, await switchWal(cluster));
}, 120_000);

afterAll(async () => {
  await restored?.destroy();
  await cluster?.destroy();
});

const walFiles = () => readdirSync(join(repo, 'wal_005')).filter((f) => !f.startsWith('.')).sort();

test('a dry run changes nothing', async () => {
  const before = walFiles();
  const result = await runPgward(['delete', 'retain', '2', '--config', config, '--json']);
  expect(result.exitCode).toBe(0);
  const plan = JSON.parse(result.stdout) as { dryRun: boolean; deleteBackups: string[]; deleteWal: string[] };
  expect(plan).toMatchObject({ dryRun: true, deleteBackups: [names[0]] });
  expect(plan.deleteWal.length).toBeGreaterThan(0);
  expect(walFiles()).toEqual(before);
  expect(await listBackupsJson(config)).toHaveLength(3);
});

test('--confirm retain 2: the oldest backup and its WAL go; the kept backups still restore', async () => {
  const result = await runPgward(['delete', '--confirm', 'retain', '2', '--config', config]);
  expect(result.exitCode).toBe(0);
  const listed = await listBackupsJson(config, true);
  expect(listed.map((b) => b.name)).toEqual([names[1], names[2]]);
  expect(readdirSync(join(repo, 'basebackups_005')).some((f) => f.startsWith(names[0]!))).toBe(false);
  expect((await runPgward(['wal-verify', '--config', config])).exitCode).toBe(0);

  const target = join(postgresOwnedDir('delete-restore-'), 'data');
  expect((await runPgward(['backup-fetch', target, names[1]!, '--config', config, '--no-archive'])).exitCode).toBe(0);
  restored = await clusterFromDataDirectory('15', target);
  await restored.start();
  await restored.waitPromoted();
  expect(await restored.query('SELECT count(*)::int AS n FROM t2')).toEqual([{ n: 10000 }]);
}, 120_000);

// The story as a permanent test: two clusters of different majors on one host, non-default ports,
// each archiving to its own repository. backup-push of each stores a backup whose sentinel carries
// that cluster's system identifier and version, and each restores to that cluster's own data.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { archiveSettings, writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

interface Host {
  cluster: TestCluster;
  config: string;
  version: '13' | '17';
}
const hosts: Host[] = [];
const restored: TestCluster[] = [];

beforeAll(async () => {
  for (const version of ['13', '17'] as const) {
    const config = writePgwardConfig({ PGWARD_REPO: `file://${join(postgresOwnedDir(`story-${version}-`), 'repo')}` });
    const cluster = await createCluster({ version, extraConfig: archiveSettings(config) });
    await cluster.query(`CREATE TABLE whoami AS SELECT 'cluster ${version}'::text AS name, current_setting('server_version_num') AS version`);
    hosts.push({ cluster, config, version });
  }
}, 90_000);

afterAll(async () => {
  await Promise.all([...restored, ...hosts.map((h) => h.cluster)].map((c) => c.destroy()));
});

test('each backup-push records its own cluster and each restore holds that cluster’s data', async () => {
  for (const { cluster, config, version } of hosts) {
    const pushed = await runPgward(['backup-push', cluster.dataDirectory, '--config', config, '--fast-checkpoint', '--json'], { env: { PGUSER: 'postgres' } });
    expect(pushed.exitCode).toBe(0);
    const sentinel = JSON.parse(pushed.stdout) as Record<string, unknown>;
    const [id] = await cluster.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()');
    expect(sentinel).toMatchObject({ pgMajor: version, systemIdentifier: id!.id, port: cluster.port, dataDirectory: cluster.dataDirectory });
    expect(String(sentinel.pgVersion)).toMatch(new RegExp(`^${version}\\.`));

    const target = join(postgresOwnedDir(`story-restore-${version}-`), 'data');
    const fetched = await runPgward(['backup-fetch', target, String(sentinel.name), '--config', config, '--no-archive']);
    expect(fetched.exitCode).toBe(0);
    const copy = await clusterFromDataDirectory(version, target);
    restored.push(copy);
    await copy.start();
    await copy.waitPromoted();
    expect(await copy.query('SELECT name FROM whoami')).toEqual([{ name: `cluster ${version}` }]);
    const [copyId] = await copy.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()');
    expect(copyId!.id).toBe(id!.id);
  }
}, 180_000);

test("each repository refuses the other cluster's backup (exit 4)", async () => {
  const [a, b] = hosts as [Host, Host];
  const result = await runPgward(['backup-push', a.cluster.dataDirectory, '--config', b.config], { env: { PGUSER: 'postgres' } });
  expect(result.exitCode).toBe(4);
  expect(result.stderr).toMatch(/belongs to cluster/);
});

// Docker cannot run on the test machines, so what can be checked is checked: the compose file is
// valid (docker-compose config), and the script the images run at initdb time configures archiving
// through pgward on a real cluster, proven by a segment arriving in the repository.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { PGWARD_BIN, REPO_ROOT } from '../harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { testNeeding } from '../harness/tools.js';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await createCluster({ version: '17' });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

testNeeding([['docker-compose', 'docker-compose']])('docker-compose.yml is valid', async () => {
  const result = await execa('docker-compose', ['-f', join(REPO_ROOT, 'docker-compose.yml'), 'config', '-q'], { reject: false });
  expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({ exitCode: 0, stderr: '' });
});

test("the images' initdb script sets up archiving through pgward on a real cluster", async () => {
  const repo = join(postgresOwnedDir('docker-repo-'), 'repo');
  const config = writePgwardConfig({ PGWARD_REPO: `file://${repo}` });
  const conn = cluster.connection();
  await execa('sh', [join(REPO_ROOT, 'docker', 'initdb-archiving.sh')], {
    env: { PGHOST: conn.host, PGPORT: String(conn.port), POSTGRES_USER: 'postgres', PGWARD_CONFIG_FILE: config, PGWARD_COMMAND: `${process.execPath} ${PGWARD_BIN}` },
  });
  // archive_mode needs a restart, as after the image's initialisation.
  await cluster.stop();
  await cluster.start();
  const segment = await switchWal(cluster);
  expect((await waitArchived(cluster, segment)).failed).toBe(0);
  expect(existsSync(join(repo, 'wal_005', `${segment}.lz4`))).toBe(true);
}, 60_000);

// A data page corrupted on a cluster with data checksums (initdb -k), then backed up: backup-push
// copies files as they are, so only a verification that reads the pages finds it. backup-verify
// fails with exit 12 naming the relation file (pg_checksums on the stopped copy; pg_amcheck, when it
// runs first, names the relation too).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { listBackupsJson, runPgward } from '../harness/cli.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { runVerify, scratchEntries, serversUnder, verifyEnv } from '../harness/verify.js';

let cluster: TestCluster;
let configFile: string;
let relationFile: string;

beforeAll(async () => {
  const repo = join(postgresOwnedDir('verify-sum-repo-'), 'repo');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_BACKUP_WAL_TIMEOUT: '60' });
  cluster = await createCluster({ version: '15', initdbArgs: ['-k'], extraConfig: { ...archiveSettings(configFile), autovacuum: 'off' } });
  await cluster.query('CREATE TABLE precious AS SELECT g AS id, md5(g::text) AS payload FROM generate_series(1, 2000) g');
  await cluster.query('CHECKPOINT');
  relationFile = (await cluster.query<{ path: string }>("SELECT pg_relation_filepath('precious') AS path"))[0]!.path;
  // Damage one byte inside the first page's tuples while the server is stopped, as a failing disk would.
  await cluster.stop();
  const fd = openSync(join(cluster.dataDirectory, relationFile), 'r+');
  const byte = Buffer.alloc(1);
  readSync(fd, byte, 0, 1, 4000);
  byte[0] = byte[0]! ^ 0xff;
  writeSync(fd, byte, 0, 1, 4000);
  closeSync(fd);
  await cluster.start();
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

describe('data checksums', () => {
  test('a corrupted data page fails verification naming the relation file (exit 12)', async () => {
    expect((await cluster.query<{ data_checksums: string }>('SHOW data_checksums'))[0]!.data_checksums).toBe('on');
    const pushed = await runPgward(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint'], { env: { PGUSER: 'postgres' } });
    expect(pushed.exitCode).toBe(0);
    await waitArchived(cluster, await switchWal(cluster));
    const env = verifyEnv(join(postgresOwnedDir('verify-sum-'), 'scratch'));
    for (const extra of [['--no-amcheck'], []]) {
      const result = await runVerify(configFile, [pushed.stdout.trim(), ...extra], env);
      expect({ extra, exitCode: result.exitCode }).toEqual({ extra, exitCode: 12 });
      expect(result.stderr).toContain(relationFile);
      expect(serversUnder(env.PGWARD_VERIFY_DIR!)).toEqual([]);
      expect(scratchEntries(env.PGWARD_VERIFY_DIR!)).toEqual([]);
    }
    const [listed] = await listBackupsJson(configFile);
    expect(listed!.verification).toMatchObject({ result: 'failed' });
  }, 120_000);
});

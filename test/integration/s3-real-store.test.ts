// pgward's S3 paths against a store that behaves like S3 where s3rver does not: Ceph's RADOS Gateway
// (started for the run when PGWARD_TEST_RGW=1; CI always does). It honours If-None-Match, so racing
// pushes of one segment must end with exactly one object; it enforces the 5 MiB minimum part and
// real multipart completion, so a backup round trip proves the partition uploads are valid S3.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { switchWal } from '../harness/archiving.js';
import { createScenario, type Scenario } from '../harness/backup-scenario.js';
import { runPgward } from '../harness/cli.js';
import { runningRgw, type ExternalS3 } from '../harness/external-s3.js';
import { osUser } from '../harness/os-user.js';
import { postgresOwnedDir } from '../harness/postgres.js';

const rgw = runningRgw();
if (!rgw) {
  if (process.env.CI) throw new Error('CI must run the S3 tests against Ceph RGW: PGWARD_TEST_RGW=1 and apt-get install radosgw ceph-mon ceph-osd');
  process.stderr.write('skipping the Ceph RGW tests: run with PGWARD_TEST_RGW=1 (apt-get install radosgw ceph-mon ceph-osd ceph-common)\n');
}
const describeRgw = rgw ? describe : describe.skip;

describeRgw('against Ceph RGW', () => {
  const store = rgw as ExternalS3;
  const bucket = `real-${randomBytes(4).toString('hex')}`;
  let scenario: Scenario;

  async function keys(prefix: string): Promise<string[]> {
    const client = store.client();
    try {
      const out = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
      return (out.Contents ?? []).map((o) => o.Key!);
    } finally {
      client.destroy();
    }
  }

  beforeAll(async () => {
    await store.createBucket(bucket);
    scenario = await createScenario('15', store.env(bucket, 'main'));
  }, 120_000);

  afterAll(async () => {
    await scenario?.destroy();
  }, 60_000);

  test('a backup with multipart partitions round-trips: listed complete, restored, equal data', async () => {
    const load = scenario.pgbench(['-T', '3', '-c', '2', '-n']);
    const pushed = await scenario.backupPush();
    await load;
    expect(pushed.exitCode).toBe(0);
    const name = /backup (base_\w+) complete/.exec(pushed.stderr)?.[1];
    expect(name).toBeDefined();
    await scenario.archiveAll();
    const expected = await scenario.checksums(scenario.cluster);
    const copy = await scenario.restore(name!);
    expect(await scenario.checksums(copy)).toEqual(expected);
    const verify = await runPgward(['wal-verify', '--config', scenario.configFile]);
    expect(verify.exitCode).toBe(0);
  }, 180_000);

  test('8 racing wal-push of one segment: all succeed with the same bytes, one object stored', async () => {
    const segment = await switchWal(scenario.cluster);
    const env = store.env(bucket, `race-same-${randomBytes(3).toString('hex')}`);
    const user = osUser('postgres');
    const results = await Promise.all(
      Array.from({ length: 8 }, () => runPgward(['wal-push', `pg_wal/${segment}`], { env, cwd: scenario.cluster.dataDirectory, asUser: user.name })),
    );
    expect(results.map((r) => r.exitCode)).toEqual(Array(8).fill(0));
    expect(await keys(`${env.PGWARD_REPO!.split('/').slice(3).join('/')}/wal_005/`)).toEqual([`${env.PGWARD_REPO!.split('/').slice(3).join('/')}/wal_005/${segment}.lz4`]);
  }, 60_000);

  test('racing pushes of one name with different bytes: exactly one is stored, every other push exits 7', async () => {
    const segment = await switchWal(scenario.cluster);
    const prefix = `race-diff-${randomBytes(3).toString('hex')}`;
    const env = store.env(bucket, prefix);
    const original = readFileSync(join(scenario.cluster.dataDirectory, 'pg_wal', segment));
    // Four copies that differ after the page header, each a valid segment of this cluster.
    const dirs = Array.from({ length: 4 }, (_, i) => {
      const dir = postgresOwnedDir('race-');
      const copy = Buffer.from(original);
      copy[original.length - 1 - i] = (copy[original.length - 1 - i]! + 1 + i) % 256;
      writeFileSync(join(dir, segment), copy);
      return dir;
    });
    const results = await Promise.all(dirs.map((dir) => runPgward(['wal-push', join(dir, segment), '--pgdata', scenario.cluster.dataDirectory], { env })));
    const codes = results.map((r) => r.exitCode).sort();
    expect(codes).toEqual([0, 7, 7, 7]);
    expect(await keys(`${prefix}/wal_005/`)).toEqual([`${prefix}/wal_005/${segment}.lz4`]);
  }, 60_000);
});

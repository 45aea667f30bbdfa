// backup-push with bytes changed on their way to the store (issue 9, storage item 1): every PUT and
// every multipart part carries a Content-MD5 computed in-process and the answered ETag is compared,
// so a damaged transfer is never part of a backup that lists as complete. One damaged transfer is
// sent again and the backup succeeds and restores; damage on every transfer fails the backup (exit
// 6) and nothing lists as complete. Real PostgreSQL, real s3rver behind the fault proxy; s3rver does
// not verify Content-MD5 itself, so this exercises the ETag comparison (RGW verifies Content-MD5:
// see s3-real-store tests when PGWARD_TEST_RGW=1).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { archiveSettings, writePgwardConfig } from '../harness/archiving.js';
import { listBackupsJson, runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { startS3FaultProxy, type S3FaultProxy } from '../harness/s3-fault-proxy.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

let s3: TestS3Server;
let proxy: S3FaultProxy;
let cluster: TestCluster;
let config: string;

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('bkint');
  proxy = await startS3FaultProxy(s3.endpoint, { seed: 5 });
  config = writePgwardConfig({
    ...proxy.env(s3.env('bkint', 'p')),
    PGWARD_STORAGE_TIMEOUT: '5',
    PGWARD_STORAGE_RETRIES: '1',
    PGWARD_S3_PART_SIZE_MB: '5',
    PGWARD_BACKUP_WAL_TIMEOUT: '60',
  });
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(config) });
  // Incompressible rows, so the base partition spans several 5 MiB parts.
  await cluster.query("CREATE TABLE noise AS SELECT g, (SELECT string_agg(md5(k::text || random()::text || g), '') FROM generate_series(1, 30) k) AS payload FROM generate_series(1, 30000) g");
}, 90_000);

afterAll(async () => {
  await cluster?.destroy();
  await proxy?.close();
  await s3?.stop();
});

const backupPush = () => runPgward(['backup-push', cluster.dataDirectory, '--config', config, '--fast-checkpoint'], { env: { PGUSER: 'postgres' } });


test('a byte flipped in every backup upload: exit 6 and nothing lists as complete', async () => {
  const before = (await listBackupsJson(config, true)).filter((b) => b.complete).length;
  const result = await proxy.withRule({ operation: ['PutObject', 'UploadPart'], key: /basebackups_005\//, fault: { kind: 'flip-request' } }, backupPush);
  expect(proxy.injected('flip-request').length).toBeGreaterThan(0);
  expectCleanError(result, 6, /S3 .* failed/);
  expect((await listBackupsJson(config, true)).filter((b) => b.complete).length).toBe(before);
}, 120_000);

test('a byte flipped in a PUT and in a part: each is sent again: the backup completes and restores', async () => {
  const flipped = proxy.injected('flip-request').length;
  const result = await proxy.withRule({ operation: ['PutObject', 'UploadPart'], key: /basebackups_005\//, nth: [1, 3], times: 2, fault: { kind: 'flip-request' } }, backupPush);
  expect(proxy.injected('flip-request').length).toBe(flipped + 2);
  expect(result.exitCode).toBe(0);
  expect(proxy.seen('UploadPart').length).toBeGreaterThan(1);
  const target = join(postgresOwnedDir('bkint-restore-'), 'data');
  const fetched = await runPgward(['backup-fetch', target, 'LATEST', '--config', config, '--no-archive']);
  expect(fetched.stderr).not.toMatch(/ERROR/);
  expect(fetched.exitCode).toBe(0);
}, 120_000);

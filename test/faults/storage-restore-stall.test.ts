// backup-fetch of a partition whose body stalls after its headers (issue 9, storage item 2): before
// the low-speed limit it hung past 240 s. Now it ends with a storage error (6) naming the partition
// within a few windows of PGWARD_STORAGE_TIMEOUT, removes what it wrote, and the same restore succeeds
// once the store answers again. Real PostgreSQL, real s3rver behind the fault proxy.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, pushBackup, writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { startS3FaultProxy, type S3FaultProxy } from '../harness/s3-fault-proxy.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

const TIMEOUT_S = 2;
let s3: TestS3Server;
let proxy: S3FaultProxy;
let cluster: TestCluster;
let config: string;
let backup: string;

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('rstall');
  proxy = await startS3FaultProxy(s3.endpoint, { seed: 11 });
  config = writePgwardConfig({ ...proxy.env(s3.env('rstall', 'p')), PGWARD_STORAGE_TIMEOUT: String(TIMEOUT_S), PGWARD_STORAGE_RETRIES: '1', PGWARD_BACKUP_WAL_TIMEOUT: '60' });
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(config) });
  backup = await pushBackup(cluster, config);
}, 90_000);

afterAll(async () => {
  await cluster?.destroy();
  await proxy?.close();
  await s3?.stop();
});

test('a partition body that stalls: exit 6 naming it within the bound, nothing left; then the restore succeeds', async () => {
  const parent = postgresOwnedDir('rstall-');
  const target = join(parent, 'data');
  proxy.addRule({ operation: 'GetObject', key: /tar_partitions\//, fault: { kind: 'stall-body', fraction: 0.2 } });
  const started = Date.now();
  let failed;
  try {
    failed = await runPgward(['backup-fetch', target, backup, '--config', config, '--no-archive']);
  } finally {
    proxy.clearRules();
  }
  expect(proxy.injected('stall-body').length).toBeGreaterThan(0);
  expectCleanError(failed, 6, /reading s3:\/\/rstall\/p\/basebackups_005\/.*tar_partitions\/part_\d+\.tar\.lz4 failed: ETIMEDOUT/);
  expect(Date.now() - started).toBeLessThan(2 * TIMEOUT_S * 1000 + 5_000);
  expect(readdirSync(parent)).toEqual([]);
  const ok = await runPgward(['backup-fetch', target, backup, '--config', config, '--no-archive']);
  expect(ok.exitCode).toBe(0);
}, 60_000);

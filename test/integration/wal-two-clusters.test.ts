// Two clusters of different majors on one host, each archiving to its own prefix. Pointing one
// cluster's archive_command at the other's prefix makes PostgreSQL see failures (exit 4), stores
// nothing there, and once corrected its segments arrive.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { archiveSettings, pgwardCommand, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { createCluster, type TestCluster } from '../harness/postgres.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

let s3: TestS3Server;
let pg13: TestCluster;
let pg17: TestCluster;
let config13: string;
let config17: string;

async function keys(prefix: string): Promise<string[]> {
  const client = s3.client();
  try {
    const out = await client.send(new ListObjectsV2Command({ Bucket: 'multi', Prefix: `${prefix}/` }));
    return (out.Contents ?? []).map((item) => item.Key!).sort();
  } finally {
    client.destroy();
  }
}

async function failedCount(cluster: TestCluster): Promise<{ failed: number; lastFailed: string | null }> {
  const [row] = await cluster.query<{ failed_count: string; last_failed_wal: string | null }>('SELECT failed_count, last_failed_wal FROM pg_stat_archiver');
  return { failed: Number(row!.failed_count), lastFailed: row!.last_failed_wal };
}

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('multi');
  config13 = writePgwardConfig(s3.env('multi', '13-main'));
  config17 = writePgwardConfig(s3.env('multi', '17-main'));
  [pg13, pg17] = await Promise.all([
    createCluster({ version: '13', extraConfig: archiveSettings(config13) }),
    createCluster({ version: '17', extraConfig: archiveSettings(config17) }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([pg13?.destroy(), pg17?.destroy()]);
  await s3?.stop();
});

test('each cluster archives to its own prefix', async () => {
  const [last13, last17] = await Promise.all([switchWal(pg13), switchWal(pg17)]);
  await Promise.all([waitArchived(pg13, last13), waitArchived(pg17, last17)]);
  expect(await keys('13-main')).toContain(`13-main/wal_005/${last13}.lz4`);
  expect(await keys('17-main')).toContain(`17-main/wal_005/${last17}.lz4`);
  expect((await failedCount(pg13)).failed).toBe(0);
  expect((await failedCount(pg17)).failed).toBe(0);
}, 60_000);

test("17's archive_command pointed at 13's prefix fails with exit 4 and stores nothing there; corrected, its segments arrive", async () => {
  const before13 = await keys('13-main');
  await pg17.query(`ALTER SYSTEM SET archive_command = '${pgwardCommand(config13, 'wal-push %p').replace(/'/g, "''")}'`);
  await pg17.query('SELECT pg_reload_conf()');
  // The archiver reloads on its own schedule: until it has, a switched segment may still be archived
  // the old way. Switch again until one fails; that one is the segment stuck on the wrong prefix.
  let stuck = '';
  const until = Date.now() + 30_000;
  while ((await failedCount(pg17)).failed === 0) {
    if (Date.now() > until) throw new Error('no archive failure seen');
    if (!stuck || (await keys('17-main')).includes(`17-main/wal_005/${stuck}.lz4`)) stuck = await switchWal(pg17);
    await new Promise((r) => setTimeout(r, 100));
  }
  stuck = (await failedCount(pg17)).lastFailed!;
  expect((await failedCount(pg17)).lastFailed).toBe(stuck);
  expect(readFileSync(pg17.logFile, 'utf8')).toMatch(/archive command failed with exit code 4/);
  expect(readFileSync(pg17.logFile, 'utf8')).toMatch(/repository .*13-main belongs to cluster .* not to/);
  expect(await keys('13-main')).toEqual(before13);

  await pg17.query('ALTER SYSTEM RESET archive_command');
  await pg17.query('SELECT pg_reload_conf()');
  // No wait for the reload: waitArchived polls until the archiver, retrying, uses the reset command.
  const next = await switchWal(pg17);
  await waitArchived(pg17, next);
  const archived17 = await keys('17-main');
  expect(archived17).toContain(`17-main/wal_005/${stuck}.lz4`);
  expect(archived17).toContain(`17-main/wal_005/${next}.lz4`);
  expect(await keys('13-main')).toEqual(before13);
}, 90_000);

// Storage outages. During archiving, wal-push fails within its bound and PostgreSQL retries: once
// storage is back every segment is archived exactly once. During archive recovery, a failing fetch
// must stop recovery (status above 125), never look like the end of the archive: the server shuts
// down without promoting, and recovers fully once storage is back.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { appendFileSync, chownSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { archiveSettings, baseBackupWithoutWal, pgwardCommand, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { osUser } from '../harness/os-user.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

let s3: TestS3Server;
let source: TestCluster;
let restored: TestCluster | undefined;
let configFile: string;
let backupDir: string;
const BOUNDS = { PGWARD_STORAGE_TIMEOUT: '2', PGWARD_STORAGE_RETRIES: '1', PGWARD_WAL_PUSH_TIMEOUT: '10', PGWARD_WAL_FETCH_RETRY: '2' };

async function archivedNames(): Promise<string[]> {
  const client = s3.client();
  try {
    const out = await client.send(new ListObjectsV2Command({ Bucket: 'outage', Prefix: 'p/wal_005/' }));
    return (out.Contents ?? []).map((item) => item.Key!.slice('p/wal_005/'.length).replace(/\.lz4$/, ''));
  } finally {
    client.destroy();
  }
}

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('outage');
  configFile = writePgwardConfig({ ...s3.env('outage', 'p'), ...BOUNDS });
  source = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  backupDir = await baseBackupWithoutWal(source);
}, 60_000);

afterAll(async () => {
  // PostgreSQL first: an archiver retrying against a dead endpoint must not outlive the test.
  await restored?.destroy();
  await source?.destroy();
  await s3?.stop();
});

describe('storage down during archiving', () => {
  test('wal-push fails within its bound, then succeeds once storage is back', async () => {
    const segment = await switchWal(source);
    await waitArchived(source, segment);
    await s3.pause();
    const started = Date.now();
    const failed = await runPgward(['wal-push', `pg_wal/${segment}`, '--config', configFile], { cwd: source.dataDirectory, asUser: 'postgres' });
    expect(failed.exitCode).toBe(6);
    expect(failed.stderr).toMatch(/HINT: is the S3 endpoint .* reachable/);
    expect(Date.now() - started).toBeLessThan(15_000);
    await s3.resume();
    const ok = await runPgward(['wal-push', `pg_wal/${segment}`, '--config', configFile], { cwd: source.dataDirectory, asUser: 'postgres' });
    expect(ok.exitCode).toBe(0);
  }, 60_000);

  test('PostgreSQL sees failures during the outage; afterwards no segment is lost or duplicated', async () => {
    await s3.pause();
    const first = await switchWal(source);
    await switchWal(source);
    const until = Date.now() + 30_000;
    for (;;) {
      const [row] = await source.query<{ failed_count: string }>('SELECT failed_count FROM pg_stat_archiver');
      if (Number(row!.failed_count) > 0) break;
      if (Date.now() > until) throw new Error('no failure seen while storage was down');
      await new Promise((r) => setTimeout(r, 200));
    }
    await s3.resume();
    const last = await switchWal(source);
    await waitArchived(source, last, 90_000);
    const names = await archivedNames();
    expect(new Set(names).size).toBe(names.length);
    const done = readdirSync(join(source.dataDirectory, 'pg_wal', 'archive_status')).filter((f) => f.endsWith('.done')).map((f) => f.slice(0, -5));
    expect(names.sort()).toEqual(done.sort());
    expect(names).toContain(first);
    const verify = await runPgward(['wal-verify', '--config', configFile]);
    expect(verify.exitCode).toBe(0);
  }, 120_000);
});

describe('storage down during wal-fetch', () => {
  const deadEnv = { ...s3Env(), PGWARD_S3_ENDPOINT: 'http://127.0.0.1:1', ...BOUNDS };
  function s3Env(): Record<string, string> {
    return { PGWARD_REPO: 's3://outage/p', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
  }
  function signalDir(signal: string | undefined): string {
    const dir = postgresOwnedDir('signal-');
    if (signal) writeFileSync(join(dir, signal), '');
    mkdirSync(join(dir, 'pg_wal'));
    // The identity files wal-fetch checks every file against (it refuses a PGDATA it cannot read).
    mkdirSync(join(dir, 'global'));
    copyFileSync(join(source.dataDirectory, 'PG_VERSION'), join(dir, 'PG_VERSION'));
    copyFileSync(join(source.dataDirectory, 'global', 'pg_control'), join(dir, 'global', 'pg_control'));
    return dir;
  }

  test('in archive recovery (recovery.signal): exit 126, which makes PostgreSQL stop recovery', async () => {
    const result = await runPgward(['wal-fetch', '000000010000000000000001', 'pg_wal/RECOVERYXLOG'], { env: deadEnv, cwd: signalDir('recovery.signal') });
    expect(result.exitCode).toBe(126);
    expect(result.stderr).toMatch(/stopping recovery \(exit 126\) rather than ending it early/);
  });

  test('on a standby (standby.signal): the storage code, so the standby retries', async () => {
    const result = await runPgward(['wal-fetch', '000000010000000000000001', 'pg_wal/RECOVERYXLOG'], { env: deadEnv, cwd: signalDir('standby.signal') });
    expect(result.exitCode).toBe(6);
  });

  test('PostgreSQL in archive recovery shuts down instead of promoting; with storage back it recovers fully', async () => {
    await source.query('CREATE TABLE outage_marker AS SELECT 7 AS n');
    const last = await switchWal(source);
    await waitArchived(source, last);
    writeFileSync(join(backupDir, 'recovery.signal'), '');
    appendFileSync(join(backupDir, 'postgresql.auto.conf'), `restore_command = '${pgwardCommand(configFile, 'wal-fetch %f %p').replace(/'/g, "''")}'\narchive_mode = off\n`);
    const user = osUser('postgres');
    chownSync(join(backupDir, 'recovery.signal'), user.uid, user.gid);

    await s3.pause();
    restored = await clusterFromDataDirectory('15', backupDir);
    restored.spawnServer();
    expect(await restored.waitExit(60_000)).toBe(true);
    const log = readFileSync(restored.logFile, 'utf8');
    expect(log).toMatch(/FATAL/);
    expect(log).toMatch(/pgward: ERROR: .*stopping recovery \(exit 126\)/);
    expect(log).not.toMatch(/archive recovery complete|selected new timeline ID/);
    // Not promoted: still timeline 1, no new timeline history written.
    expect(readdirSync(join(backupDir, 'pg_wal')).filter((f) => f.endsWith('.history'))).toEqual([]);
    const info = await runPgward(['cluster-info', backupDir, '--json']);
    expect(JSON.parse(info.stdout)).toMatchObject({ status: 'stopped', timeline: 1 });

    await s3.resume();
    await restored.start();
    await restored.waitPromoted();
    expect(await restored.query('SELECT n FROM outage_marker')).toEqual([{ n: 7 }]);
  }, 180_000);
});

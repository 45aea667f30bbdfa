// A wal-push killed mid-write leaves a hidden temporary file in a filesystem repository
// (wal_005/.<segment>.lz4.tmp-<hex>) that nothing reads. repo-info counts such leftovers (text and
// --json); the daemon (and delete --confirm, for installations without one) removes those older than
// a day, off archive_command's path, and leaves a fresh one alone (it may belong to a push in progress).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { chownSync, existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { osUser } from '../harness/os-user.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let cluster: TestCluster;
let configFile: string;
let repo: string;
let daemon: TestDaemon | undefined;
let oldTemp: string;
let freshTemp: string;

beforeAll(async () => {
  repo = join(postgresOwnedDir('leftover-repo-'), 'repo');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_NO_DAEMON: 'true' });
  cluster = await createCluster({ version: '15' });
  const segment = readdirSync(join(cluster.dataDirectory, 'pg_wal')).find((name) => /^[0-9A-F]{24}$/.test(name))!;
  const pushed = await runPgward(['wal-push', `pg_wal/${segment}`, '--config', configFile], { asUser: 'postgres', cwd: cluster.dataDirectory });
  expect(pushed.exitCode).toBe(0);
  // What a wal-push killed between its write and its rename leaves, two days ago and just now.
  const user = osUser('postgres');
  const walDir = join(repo, 'wal_005');
  mkdirSync(walDir, { recursive: true });
  oldTemp = join(walDir, '.000000010000000000000042.lz4.tmp-0123456789ab');
  freshTemp = join(walDir, '.000000010000000000000043.lz4.tmp-ba9876543210');
  for (const path of [oldTemp, freshTemp]) {
    writeFileSync(path, Buffer.alloc(4096, 7));
    chownSync(path, user.uid, user.gid);
  }
  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  utimesSync(oldTemp, twoDaysAgo, twoDaysAgo);
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await cluster?.destroy();
});

test('repo-info counts the leftovers, in text and --json', async () => {
  const json = await runPgward(['repo-info', '--json', '--config', configFile]);
  expect(json.exitCode).toBe(0);
  expect((JSON.parse(json.stdout) as { incompleteWrites: unknown }).incompleteWrites).toMatchObject({ count: 2, bytes: 8192, stale: 1 });
  const text = await runPgward(['repo-info', '--config', configFile]);
  expect(text.exitCode).toBe(0);
  expect(text.stdout).toMatch(/^incomplete writes\s+2, 8192 bytes, 1 older than a day/m);
  // Listing WAL never shows them as objects.
  const list = await runPgward(['wal-list', '--json', '--config', configFile]);
  expect(list.stdout).not.toMatch(/tmp-/);
});

test('the daemon removes the old leftover and leaves the fresh one alone', async () => {
  const socket = join(postgresOwnedDir('lsock-'), 'd.sock');
  daemon = await startDaemon(cluster.dataDirectory, configFile, socket);
  const deadline = Date.now() + 15_000;
  while (existsSync(oldTemp) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(existsSync(oldTemp)).toBe(false);
  expect(existsSync(freshTemp)).toBe(true);
  expect(daemon.output()).toMatch(/removed 1 incomplete writes older than a day/);
  const json = await runPgward(['repo-info', '--json', '--config', configFile]);
  expect((JSON.parse(json.stdout) as { incompleteWrites: unknown }).incompleteWrites).toMatchObject({ count: 1, stale: 0 });
});

test('delete --confirm sweeps old leftovers too (installations without a daemon)', async () => {
  const user = osUser('postgres');
  const leftover = join(repo, 'wal_005', '.000000010000000000000044.lz4.tmp-00000000aaaa');
  writeFileSync(leftover, Buffer.alloc(100));
  chownSync(leftover, user.uid, user.gid);
  const threeDaysAgo = new Date(Date.now() - 3 * 24 * 3600 * 1000);
  utimesSync(leftover, threeDaysAgo, threeDaysAgo);
  const dryRun = await runPgward(['delete', 'retain', '1', '--config', configFile], { asUser: 'postgres' });
  expect(dryRun.exitCode).toBe(0);
  expect(existsSync(leftover)).toBe(true);
  const result = await runPgward(['delete', '--confirm', 'retain', '1', '--config', configFile], { asUser: 'postgres' });
  expect({ exitCode: result.exitCode, stderr: result.stderr }).toMatchObject({ exitCode: 0 });
  expect(existsSync(leftover)).toBe(false);
  expect(existsSync(freshTemp)).toBe(true);
});

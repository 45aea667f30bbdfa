// Issue 8 item 1: a restored copy of production, promoted elsewhere with production's archive_command,
// must not archive its new timeline into production's repository (which made the next restore with
// recovery_target_timeline = latest follow the copy and lose production's later commits). Only the
// registered locations (host + data directory) may write; location-add is the operator's "this copy
// joins or replaces the source". Real PostgreSQL 15 and a real S3 server (s3rver).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { archiveSettings, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { runPgward, stderrJson } from '../harness/cli.js';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { expectCleanError } from '../harness/expect-error.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

const BUCKET = 'locations';
const PREFIX = 'prod/15-main';
let s3: TestS3Server;
let config: string;
let primary: TestCluster;
let copy: TestCluster;
const others: TestCluster[] = [];
const daemons: TestDaemon[] = [];

async function walFileNames(): Promise<string[]> {
  const client = s3.client();
  try {
    const out = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}/wal_005/` }));
    return (out.Contents ?? []).map((o) => o.Key!.slice(`${PREFIX}/wal_005/`.length).replace(/\.lz4$/, ''));
  } finally {
    client.destroy();
  }
}

async function poll<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function restoreProduction(prefix: string, extra: string[]): Promise<{ target: string; stderr: string }> {
  const target = join(postgresOwnedDir(prefix), 'data');
  const fetched = await runPgward(['backup-fetch', target, 'LATEST', '--config', config, ...extra]);
  expect(fetched.exitCode).toBe(0);
  return { target, stderr: fetched.stderr };
}

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket(BUCKET);
  config = writePgwardConfig({ ...s3.env(BUCKET, PREFIX), PGWARD_DAEMON_RECHECK_INTERVAL: '1' });
  primary = await createCluster({ version: '15', extraConfig: archiveSettings(config) });
  expect((await runPgward(['check', primary.dataDirectory, '--config', config], { env: { PGUSER: 'postgres' } })).exitCode).toBe(0);
  await primary.query('CREATE TABLE before_backup AS SELECT 1 AS n');
  expect((await runPgward(['backup-push', primary.dataDirectory, '--config', config, '--fast-checkpoint'], { env: { PGUSER: 'postgres' } })).exitCode).toBe(0);
  await primary.query('CREATE TABLE before_copy AS SELECT 2 AS n');
  await waitArchived(primary, await switchWal(primary));

  // The test restore of the report: production's archive_command kept, archiving on in the copy
  // (set explicitly, so this stays the reported situation whatever backup-fetch's default becomes).
  const { target } = await restoreProduction('copy-', []);
  appendFileSync(join(target, 'postgresql.auto.conf'), "archive_mode = 'on'\n");
  copy = await clusterFromDataDirectory('15', target);
  await copy.start();
  await copy.waitPromoted();
}, 180_000);

afterAll(async () => {
  await Promise.all(daemons.map((d) => d.stop()));
  await Promise.all([primary, copy, ...others].map((c) => c?.destroy()));
  await s3?.stop();
});

describe('a promoted restore of production at another location', () => {
  test('its wal-push is refused with exit 4 and a hint naming location-add; the source gets no timeline 2 and a later restore reaches production’s last commit', async () => {
    const [current] = await copy.query<{ name: string }>('SELECT pg_walfile_name(pg_current_wal_lsn()) AS name');
    expect(current!.name.startsWith('00000002')).toBe(true);
    // PostgreSQL's own archiver is refused...
    await poll('the copy reports a failed archive_command', 60_000, async () => {
      const [row] = await copy.query<{ failed_count: string }>('SELECT failed_count FROM pg_stat_archiver');
      return Number(row!.failed_count) > 0 ? true : undefined;
    });
    expect(readFileSync(copy.logFile, 'utf8')).toMatch(/pgward: ERROR: .* is not a registered location of repository/);
    // ...and so is the command run by hand, with the registered location named.
    const result = await runPgward(['wal-push', 'pg_wal/00000002.history', '--config', config], { cwd: copy.dataDirectory, asUser: 'postgres' });
    expectCleanError(result, 4, new RegExp(`:${copy.dataDirectory} is not a registered location .*registered: .*:${primary.dataDirectory}`));
    expect(result.stderr).toMatch(/HINT: a restored copy must not write into its source's repository: .*pgward location-add /);
    expect((await walFileNames()).filter((name) => name.startsWith('00000002'))).toEqual([]);

    // Production goes on; its WAL is intact and a restore with the default latest reaches it.
    await primary.query('CREATE TABLE after_copy AS SELECT 3 AS n');
    await waitArchived(primary, await switchWal(primary));
    expect((await runPgward(['wal-verify', '--config', config])).exitCode).toBe(0);
    const { target, stderr } = await restoreProduction('second-', ['--no-archive']);
    expect(stderr).toMatch(/recovery will follow timeline 1: the archive has no 00000002.history/);
    const second = await clusterFromDataDirectory('15', target);
    others.push(second);
    await second.start();
    await second.waitPromoted();
    expect(await second.query('SELECT n FROM after_copy')).toEqual([{ n: 3 }]);
  }, 180_000);

  test('check on the copy does not register it: exit 4 with the location-add hint', async () => {
    const result = await runPgward(['check', copy.dataDirectory, '--config', config], { env: { PGUSER: 'postgres' } });
    expectCleanError(result, 4, /is not a registered location .*check registers standbys and the stamp creator only/);
    const list = await runPgward(['location-list', '--json', '--config', config]);
    expect(JSON.parse(list.stdout).locations.map((l: { dataDirectory: string }) => l.dataDirectory)).toEqual([primary.dataDirectory]);
  });

  test('a daemon started on the unregistered copy refuses to start (exit 4)', async () => {
    const daemon = await startDaemon(copy.dataDirectory, config, join(postgresOwnedDir('sock-'), 'd.sock'));
    daemons.push(daemon);
    expect(await Promise.race([daemon.exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))])).toBe(4);
    expect(daemon.output()).toMatch(/is not a registered location/);
  });
});

describe('a copy the operator registers', () => {
  test('location-add lets it archive; when production archives on, wal-verify reports the fork (exit 8) and a restore warns', async () => {
    const added = await runPgward(['location-add', copy.dataDirectory, '--role', 'restore', '--config', config, '--json']);
    expect(added.exitCode).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({ dataDirectory: copy.dataDirectory, role: 'restore', systemIdentifier: expect.any(String) });
    expect((await runPgward(['location-add', copy.dataDirectory, '--config', config, '--json'])).stdout).toMatch(/"created": false/);

    const segment = await switchWal(copy);
    expect(segment.startsWith('00000002')).toBe(true);
    await waitArchived(copy, segment, 90_000);
    expect(await walFileNames()).toEqual(expect.arrayContaining(['00000002.history', segment]));

    // Two servers now write one archive: production keeps archiving timeline 1 past the fork.
    await primary.query('CREATE TABLE after_join AS SELECT 4 AS n');
    const last = await switchWal(primary);
    await waitArchived(primary, last);
    const verify = await runPgward(['wal-verify', '--config', config]);
    expectCleanError(verify, 8, new RegExp(`timeline 2 forked off timeline 1 at [0-9A-F]+/[0-9A-F]+, but timeline 1 kept being archived after the fork \\(\\d+ segment\\(s\\), up to ${last}\\)`));
    expect(verify.stdout).toMatch(/forks +timeline 2 forked off timeline 1/);
    const json = JSON.parse((await runPgward(['wal-verify', '--json', '--config', config])).stdout);
    expect(json.forks).toEqual([expect.objectContaining({ parent: 1, child: 2, lastParentSegment: last })]);

    const { stderr } = await restoreProduction('warned-', ['--no-archive']);
    const line = stderrJson({ exitCode: 0, stdout: '', stderr }).find((l) => String(l.msg).startsWith('recovery will follow'));
    expect(line).toMatchObject({ level: 40, timeline: 2 });
    expect(String(line!.msg)).toMatch(/follows timeline 1 -> 2.*WARNING: timeline 2 forked off timeline 1.*set recovery_target_timeline = '1'/);
  }, 180_000);

  test('a daemon serving a registered copy stops serving at its next re-check once the location is removed', async () => {
    expect((await runPgward(['location-add', copy.dataDirectory, '--config', config])).exitCode).toBe(0);
    const socket = join(postgresOwnedDir('sock-'), 'd.sock');
    const daemon = await startDaemon(copy.dataDirectory, config, socket);
    daemons.push(daemon);
    expect(daemon.child.exitCode).toBeNull();
    const viaDaemon = () => runPgward(['wal-push', 'pg_wal/00000002.history', '--config', config], { cwd: copy.dataDirectory, asUser: 'postgres', env: { PGWARD_DAEMON_SOCKET: socket } });
    expect((await viaDaemon()).exitCode).toBe(0);

    const removed = await runPgward(['location-remove', copy.dataDirectory, '--config', config]);
    expect(removed.exitCode).toBe(0);
    await poll('the daemon stops serving', 20_000, async () => (/no longer serving: .* is not a registered location/.test(daemon.output()) ? true : undefined));
    expectCleanError(await viaDaemon(), 4, /is not a registered location/);
    expect(daemon.child.exitCode).toBeNull();
    expectCleanError(await runPgward(['location-remove', copy.dataDirectory, '--config', config]), 2, /is not a registered location/);
  }, 90_000);
});

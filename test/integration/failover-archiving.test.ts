// A failover must keep archiving with no manual step: `check` on a streaming standby registers its
// location, so once promoted its wal-push into the primary's repository is accepted. A clean failover
// is not a fork for wal-verify. After the failover the old primary is retired with location-remove,
// and its wal-push is refused from then on. Real PostgreSQL 15, a file:// repository.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { chownSync, existsSync, readdirSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, baseBackupWithoutWal, pgwardCommand, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { osUser } from '../harness/os-user.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let repo: string;
let config: string;
let primary: TestCluster;
let standby: TestCluster;

async function poll(what: string, ms: number, probe: () => Promise<boolean>): Promise<void> {
  const until = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error(`${what} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  repo = join(postgresOwnedDir('failover-'), 'repo');
  config = writePgwardConfig({ PGWARD_REPO: `file://${repo}` });
  primary = await createCluster({ version: '15', extraConfig: archiveSettings(config) });
  await waitArchived(primary, await switchWal(primary));

  // A streaming standby with the primary's settings (archive_mode = on archives only once promoted).
  const target = await baseBackupWithoutWal(primary);
  const conn = primary.connection();
  const quote = (value: string) => `'${value.replace(/'/g, "''")}'`;
  appendFileSync(join(target, 'postgresql.auto.conf'), `primary_conninfo = ${quote(`host=${conn.host} port=${conn.port} user=postgres`)}\nrestore_command = ${quote(pgwardCommand(config, 'wal-fetch %f %p'))}\n`);
  writeFileSync(join(target, 'standby.signal'), '');
  const user = osUser('postgres');
  chownSync(join(target, 'standby.signal'), user.uid, user.gid);
  standby = await clusterFromDataDirectory('15', target);
  await standby.start();
  await poll('the standby streams', 30_000, async () => (await primary.query('SELECT 1 FROM pg_stat_replication')).length > 0);
}, 120_000);

afterAll(async () => {
  await Promise.all([standby?.destroy(), primary?.destroy()]);
});

test('check registers the primary and the standby; the promoted standby archives with no manual step; wal-verify passes', async () => {
  const onPrimary = await runPgward(['check', primary.dataDirectory, '--json', '--config', config], { env: { PGUSER: 'postgres' } });
  expect(onPrimary.exitCode).toBe(0);
  expect(JSON.parse(onPrimary.stdout)).toMatchObject({ location: { dataDirectory: primary.dataDirectory, role: 'primary' } });
  const onStandby = await runPgward(['check', standby.dataDirectory, '--json', '--config', config], { env: { PGUSER: 'postgres' } });
  expect(onStandby.exitCode).toBe(0);
  expect(JSON.parse(onStandby.stdout)).toMatchObject({ location: { dataDirectory: standby.dataDirectory, role: 'standby', status: 'registered' } });
  const again = await runPgward(['check', standby.dataDirectory, '--json', '--config', config], { env: { PGUSER: 'postgres' } });
  expect(JSON.parse(again.stdout)).toMatchObject({ location: { status: 'already-registered', role: 'standby' } });

  await primary.query('CREATE TABLE before_failover AS SELECT 1 AS n');
  await poll('the standby replays', 30_000, async () => (await standby.query("SELECT to_regclass('before_failover') IS NOT NULL AS ok"))[0]!.ok === true);

  // A clean failover: the old primary stops, the standby is promoted to timeline 2.
  await primary.stop();
  await standby.query('SELECT pg_promote()');
  await standby.waitPromoted();
  const segment = await switchWal(standby);
  expect(segment.startsWith('00000002')).toBe(true);
  const archiver = await waitArchived(standby, segment);
  expect(archiver.failed).toBe(0);
  const stored = readdirSync(join(repo, 'wal_005'));
  expect(stored).toEqual(expect.arrayContaining(['00000002.history.lz4', `${segment}.lz4`]));

  const verify = await runPgward(['wal-verify', '--json', '--config', config]);
  expect(verify.exitCode).toBe(0);
  expect(JSON.parse(verify.stdout)).toMatchObject({ timeline: 2, missingCount: 0, forks: [] });
}, 120_000);

test('location-remove retires the old primary: its wal-push is refused and the new primary keeps archiving', async () => {
  // Whatever the previous test did: the old primary stopped, the standby registered and promoted.
  await primary.stop();
  expect((await runPgward(['location-add', standby.dataDirectory, '--role', 'standby', '--config', config])).exitCode).toBe(0);
  if ((await standby.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r'))[0]!.r) {
    await standby.query('SELECT pg_promote()');
    await standby.waitPromoted();
  }
  const old = readdirSync(join(primary.dataDirectory, 'pg_wal')).filter((f) => /^00000001[0-9A-F]{16}$/.test(f)).sort()[0]!;
  const removed = await runPgward(['location-remove', primary.dataDirectory, '--config', config]);
  expect(removed.exitCode).toBe(0);
  const pushed = await runPgward(['wal-push', `pg_wal/${old}`, '--config', config], { cwd: primary.dataDirectory, asUser: 'postgres' });
  expectCleanError(pushed, 4, new RegExp(`:${primary.dataDirectory} is not a registered location`));
  expect(pushed.stderr).toMatch(/HINT: .*pgward location-add /);

  const list = JSON.parse((await runPgward(['location-list', '--json', '--config', config])).stdout) as { locations: Array<{ dataDirectory: string; role: string }> };
  expect(list.locations.map((l) => l.dataDirectory)).toEqual([standby.dataDirectory]);
  const segment = await switchWal(standby);
  expect((await waitArchived(standby, segment)).failed).toBe(0);
  expect(existsSync(join(repo, 'wal_005', `${segment}.lz4`))).toBe(true);
}, 60_000);

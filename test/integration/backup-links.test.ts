// Symbolic links in a data directory other than pg_tblspc/<oid> and pg_wal (a log folder or a config
// file linked elsewhere, as some installations have): backup-push follows them and stores what they
// point to under the link's name, and the backup restores, the links coming back as plain folders and
// files (a restore takes no links from a backup). A link back into the data directory is refused.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { chownSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { osUser } from '../harness/os-user.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let cluster: TestCluster;
let configFile: string;
const copies: TestCluster[] = [];

beforeAll(async () => {
  const repo = join(postgresOwnedDir('links-repo-'), 'repo');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_BACKUP_WAL_TIMEOUT: '60' });
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  const user = osUser('postgres');
  const outside = postgresOwnedDir('links-outside-');
  mkdirSync(join(outside, 'logs'));
  writeFileSync(join(outside, 'logs', 'old.log'), 'a log line\n');
  writeFileSync(join(outside, 'extra.conf'), "# linked configuration\nwork_mem = '8MB'\n");
  for (const path of [join(outside, 'logs'), join(outside, 'logs', 'old.log'), join(outside, 'extra.conf')]) chownSync(path, user.uid, user.gid);
  symlinkSync(join(outside, 'logs'), join(cluster.dataDirectory, 'pg_log'));
  symlinkSync(join(outside, 'extra.conf'), join(cluster.dataDirectory, 'extra.conf'));
}, 60_000);

afterAll(async () => {
  await Promise.all(copies.map((c) => c.destroy()));
  await cluster?.destroy();
});

test('linked folders and files are backed up as what they point to and restore as plain ones', async () => {
  const pushed = await runPgward(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint', '--json'], { env: { PGUSER: 'postgres' } });
  expect(pushed.exitCode).toBe(0);
  expect(pushed.stderr).toMatch(/pg_log is a link to .*logs: backed up as what it points to/);
  const name = String((JSON.parse(pushed.stdout) as { name: string }).name);
  const target = join(postgresOwnedDir('links-copy-'), 'data');
  const fetched = await runPgward(['backup-fetch', target, name, '--config', configFile]);
  expect(fetched.exitCode).toBe(0);
  expect(lstatSync(join(target, 'pg_log')).isDirectory()).toBe(true);
  expect(readFileSync(join(target, 'pg_log', 'old.log'), 'utf8')).toBe('a log line\n');
  expect(lstatSync(join(target, 'extra.conf')).isFile()).toBe(true);
  expect(readFileSync(join(target, 'extra.conf'), 'utf8')).toMatch(/linked configuration/);
  const copy = await clusterFromDataDirectory('15', target);
  copies.push(copy);
  await copy.start();
  await copy.waitPromoted();
  expect((await copy.query<{ one: number }>('SELECT 1 AS one'))[0]!.one).toBe(1);
}, 120_000);

test('a link back into the data directory is refused with exit 5, naming it', async () => {
  const link = join(cluster.dataDirectory, 'loop');
  symlinkSync(join(cluster.dataDirectory, 'base'), link);
  try {
    const result = await runPgward(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint'], { env: { PGUSER: 'postgres' } });
    expectCleanError(result, 5, /loop is a symbolic link to .*, inside or above the data directory/);
  } finally {
    rmSync(link);
  }
}, 60_000);

// wal-fetch checks every file against the cluster in PGDATA (system identifier, repository stamp).
// When it cannot read PGDATA it must refuse, not skip the checks and restore whatever the archive
// holds. Under PostgreSQL in archive recovery the refusal is a status above 125, which stops
// recovery: a status of 1-125 would read as "not in the archive" and end recovery early, promoting
// the server at the wrong point.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, baseBackupWithoutWal, pgwardCommand, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { osUser } from '../harness/os-user.js';
import { TEST_ROOT } from '../harness/paths.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let source: TestCluster;
let restored: TestCluster | undefined;
let configFile: string;
let segment: string;

beforeAll(async () => {
  const repo = join(postgresOwnedDir('wf-repo-'), 'repo');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_NO_DAEMON: 'true', PGWARD_WAL_FETCH_RETRY: '0' });
  source = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  segment = await switchWal(source);
  await waitArchived(source, segment);
}, 60_000);

afterAll(async () => {
  await restored?.stop();
  await source?.destroy();
});

test('by hand, a --pgdata that is no data directory is refused (5) instead of restoring unchecked', async () => {
  const notData = postgresOwnedDir('not-pgdata-');
  const destination = join(postgresOwnedDir('wf-dest-'), segment);
  const result = await runPgward(['wal-fetch', segment, destination, '--config', configFile, '--pgdata', notData], { asUser: 'postgres' });
  expectCleanError(result, 5, /wal-fetch cannot check WAL against the cluster in .*not-pgdata-.*no PG_VERSION/);
  expect(result.stderr).toMatch(/HINT: run restore_command as the cluster owner/);
  expect(existsSync(destination)).toBe(false);
});

test('in archive recovery, an unreadable PGDATA stops recovery (exit 126) instead of being skipped', async () => {
  const target = await baseBackupWithoutWal(source);
  const next = await switchWal(source);
  await waitArchived(source, next);
  // restore_command names a data directory the postgres user cannot read (root-owned, mode 0700).
  const unreadable = mkdtempSync(join(TEST_ROOT, 'root-only-'));
  const restoreCommand = pgwardCommand(configFile, `--pgdata '${unreadable}' wal-fetch %f %p`);
  appendFileSync(join(target, 'postgresql.conf'), `archive_mode = off\nrestore_command = '${restoreCommand.replace(/'/g, "''")}'\n`);
  const user = osUser('postgres');
  writeFileSync(join(target, 'recovery.signal'), '');
  chownSync(join(target, 'recovery.signal'), user.uid, user.gid);
  restored = await clusterFromDataDirectory('15', target);
  restored.spawnServer();
  expect(await restored.waitExit(60_000)).toBe(true);
  const log = readFileSync(restored.logFile, 'utf8');
  expect(log).toMatch(/pgward: ERROR: wal-fetch cannot check WAL against the cluster in .*root-only-.*permission denied; stopping recovery \(exit 126\)/);
  expect(log).not.toMatch(/database system is ready to accept connections/);
  expect(log).not.toMatch(/selected new timeline ID/);
}, 90_000);

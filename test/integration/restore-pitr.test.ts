// Point-in-time recovery chooses the backup (issue 8, item 2): with --target-time, LATEST is the newest
// backup that finished before the target, a named backup that cannot reach it is refused with the
// target untouched, and a target PostgreSQL could not parse (or a time without a zone) is refused
// before anything is written.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, pushBackup, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { runPgward, stderrJson } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let source: TestCluster;
let configFile: string;
let first: string;
let second: string;
let between: string;
const copies: TestCluster[] = [];

const push = (): Promise<string> => pushBackup(source, configFile);

beforeAll(async () => {
  const repo = join(postgresOwnedDir('pitr-repo-'), 'repo');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_BACKUP_WAL_TIMEOUT: '60' });
  source = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  first = await push();
  // The target: after the first backup finished, before the marker's commit.
  between = (await source.query<{ t: string }>("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS t"))[0]!.t;
  await source.query('CREATE TABLE marker AS SELECT 1 AS committed_after_the_target');
  await waitArchived(source, await switchWal(source));
  second = await push();
}, 120_000);

afterAll(async () => {
  await Promise.all(copies.map((c) => c.destroy()));
  await source?.destroy();
});

describe('--target-time between two backups', () => {
  test('LATEST restores the first backup and the server recovers to before the marker', async () => {
    const target = join(postgresOwnedDir('pitr-copy-'), 'data');
    const result = await runPgward(['backup-fetch', target, 'LATEST', '--target-time', between, '--config', configFile, '--json']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ backup: first });
    expect(stderrJson(result).some((line) => line.backup === first && /newest backup that finished before/.test(String(line.msg)))).toBe(true);
    const copy = await clusterFromDataDirectory('15', target);
    copies.push(copy);
    await copy.start();
    await copy.waitPromoted();
    expect((await copy.query<{ r: string | null }>("SELECT to_regclass('marker')::text AS r"))[0]!.r).toBeNull();
  }, 120_000);

  test('the second backup by name is refused with exit 2, naming the first; the target is untouched', async () => {
    const target = postgresOwnedDir('pitr-named-');
    const before = statSync(target);
    const result = await runPgward(['backup-fetch', target, second, '--target-time', between, '--config', configFile]);
    expectCleanError(result, 2, new RegExp(`backup ${second} cannot recover to --target-time`));
    expect(result.stderr).toMatch(new RegExp(`HINT: restore ${first}`));
    expect(readdirSync(target)).toEqual([]);
    expect(statSync(target).mode).toBe(before.mode);
  });

  test('a time before every backup: exit 2, nothing written', async () => {
    const target = join(postgresOwnedDir('pitr-early-'), 'data');
    const result = await runPgward(['backup-fetch', target, 'LATEST', '--target-time', '2000-01-01 00:00:00+00', '--config', configFile]);
    expectCleanError(result, 2, /no complete backup can recover to --target-time 2000-01-01/);
    expect(existsSync(target)).toBe(false);
  });
});

describe('targets refused before anything is written', () => {
  test.each([
    ['--target-time', 'garbage', /--target-time "garbage" is not a timestamp/],
    ['--target-time', '2026-11-22 06:20:00', /has no time zone/],
    ['--target-lsn', 'not/an-lsn', /--target-lsn "not\/an-lsn" is not an LSN/],
  ])('%s %s: exit 2', async (option, value, message) => {
    const parent = postgresOwnedDir('pitr-bad-');
    const target = join(parent, 'data');
    const result = await runPgward(['backup-fetch', target, 'LATEST', option, value, '--config', configFile]);
    expectCleanError(result, 2, message);
    expect(existsSync(target)).toBe(false);
  });

  test('an existing empty target stays empty', async () => {
    const target = postgresOwnedDir('pitr-empty-');
    const result = await runPgward(['backup-fetch', target, 'LATEST', '--target-time', 'yesterday', '--config', configFile]);
    expect(result.exitCode).toBe(2);
    expect(readdirSync(target)).toEqual([]);
  });
});

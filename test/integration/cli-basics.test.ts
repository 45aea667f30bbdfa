// The command line as a DBA first meets it: --version/-V and -h answer, install-units --json prints
// JSON, and a file:// repository that does not exist is an error for every command that only reads
// (a typo in the URL must not look like an empty repository and keep a monitoring check green),
// while the commands that write still create it.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { REPO_ROOT } from '../harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('version and help', () => {
  test.each([['--version'], ['-V']])('%s prints the version from package.json', async (flag) => {
    const result = await runPgward([flag]);
    expect({ exitCode: result.exitCode, stdout: result.stdout.trim() }).toEqual({ exitCode: 0, stdout: `pgward ${version}` });
  });

  test('-h prints the same help as --help', async () => {
    const long = await runPgward(['--help']);
    const short = await runPgward(['-h']);
    expect(short.exitCode).toBe(0);
    expect(short.stdout).toBe(long.stdout);
    expect(short.stdout).toMatch(/backup-push/);
  });
});

test('install-units --json prints what it installed as JSON', async () => {
  const dest = postgresOwnedDir('units-json-');
  const result = await runPgward(['install-units', '--dest', dest, '--json']);
  expect(result.exitCode).toBe(0);
  const out = JSON.parse(result.stdout) as { dest: string; units: string[] };
  expect(out.dest).toBe(dest);
  expect(out.units.map((unit) => unit.slice(dest.length + 1)).sort()).toEqual(readdirSync(dest).sort());
});

describe('a file:// repository that does not exist', () => {
  let cluster: TestCluster;
  let missing: string;

  beforeAll(async () => {
    cluster = await createCluster({ version: '15' });
    missing = join(postgresOwnedDir('repo-missing-'), 'no-such-repo');
  }, 60_000);

  afterAll(async () => {
    await cluster?.destroy();
  });

  test.each([
    ['backup-list', []],
    ['backup-list', ['--json']],
    ['wal-list', []],
    ['wal-verify', []],
    ['repo-info', []],
    ['repo-info', ['--json']],
  ])('%s %s is a storage error (6)', async (command, extra) => {
    const result = await runPgward([command, ...extra, '--repo', `file://${missing}`]);
    if (extra.includes('--json')) {
      expect(result.exitCode).toBe(6);
      expect(result.stdout).toBe('');
    } else {
      expectCleanError(result, 6, /repository file:\/\/.*no-such-repo does not exist/);
    }
    expect(existsSync(missing)).toBe(false);
  });

  test('backup-fetch is a storage error and writes nothing', async () => {
    const target = join(postgresOwnedDir('fetch-missing-'), 'data');
    const result = await runPgward(['backup-fetch', target, 'LATEST', '--repo', `file://${missing}`]);
    expectCleanError(result, 6, /does not exist/);
    expect(existsSync(target)).toBe(false);
  });

  test('wal-fetch is a storage error, not "not in the archive"', async () => {
    const result = await runPgward(['wal-fetch', '000000010000000000000001', 'pg_wal/RECOVERYXLOG', '--repo', `file://${missing}`], { asUser: 'postgres', cwd: cluster.dataDirectory, env: { PGWARD_WAL_FETCH_RETRY: '0', PGWARD_NO_DAEMON: 'true' } });
    expectCleanError(result, 6, /does not exist/);
  });

  test('wal-push still creates the repository', async () => {
    const segment = readdirSync(join(cluster.dataDirectory, 'pg_wal')).find((name) => /^[0-9A-F]{24}$/.test(name))!;
    const repo = join(postgresOwnedDir('repo-new-'), 'created');
    const result = await runPgward(['wal-push', `pg_wal/${segment}`, '--repo', `file://${repo}`], { asUser: 'postgres', cwd: cluster.dataDirectory, env: { PGWARD_NO_DAEMON: 'true' } });
    expect({ exitCode: result.exitCode, stderr: result.stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(readdirSync(join(repo, 'wal_005'))).toContain(`${segment}.lz4`);
  });
});

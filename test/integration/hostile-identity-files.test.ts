// The identity files read from a data directory (PG_VERSION, global/pg_control, postmaster.pid)
// replaced by something that is not a file: a symlink to /dev/zero or /dev/urandom, a FIFO with no
// writer, a symlink loop, or a file far too large. cluster-info and wal-push must answer at once with
// exit 5 naming the file, never hang or run out of memory. PG_VERSION of an unknown release is refused
// before anything is stamped.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { cpSync, chownSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { osUser } from '../harness/os-user.js';
import { TEST_ROOT } from '../harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let stopped: TestCluster;
let scratch: string;
let copies = 0;

function copyWith(file: string, replace: (path: string) => Promise<void> | void): Promise<string> {
  const target = join(scratch, `copy-${copies++}`);
  cpSync(stopped.dataDirectory, target, { recursive: true });
  const user = osUser('postgres');
  chownSync(target, user.uid, user.gid);
  const path = join(target, file);
  rmSync(path, { force: true });
  return Promise.resolve(replace(path)).then(() => target);
}

const REPLACEMENTS: Array<[string, (path: string) => Promise<void> | void, RegExp]> = [
  ['a symlink to /dev/zero', (path) => symlinkSync('/dev/zero', path), /is not a regular file/],
  ['a symlink to /dev/urandom', (path) => symlinkSync('/dev/urandom', path), /is not a regular file/],
  ['a FIFO nobody writes to', async (path) => void (await execa('mkfifo', [path])), /is not a regular file/],
  ['a symlink loop', (path) => symlinkSync(path, path), /ELOOP/],
  ['a file of 1 MB', (path) => writeFileSync(path, Buffer.alloc(1 << 20, 0x31)), /is larger than/],
];

beforeAll(async () => {
  stopped = await createCluster({ version: '15' });
  await stopped.stop();
  scratch = mkdtempSync(join(TEST_ROOT, 'hostile-'));
}, 60_000);

afterAll(async () => {
  await stopped?.destroy();
  rmSync(scratch, { recursive: true, force: true });
});

describe.each(['PG_VERSION', 'global/pg_control', 'postmaster.pid'])('%s replaced', (file) => {
  test.each(REPLACEMENTS)('by %s: cluster-info exits 5 at once, naming the file', async (_what, replace, message) => {
    const dir = await copyWith(file, replace);
    const started = Date.now();
    const result = await runPgward(['cluster-info', dir]);
    expect(Date.now() - started).toBeLessThan(10_000);
    expectCleanError(result, 5, message);
    expect(result.stderr).toContain(file);
  });
});

test('global/pg_control as /dev/zero: wal-push (run in the data directory) exits 5 at once', async () => {
  const dir = await copyWith('global/pg_control', (path) => symlinkSync('/dev/zero', path));
  const repo = postgresOwnedDir('hostile-repo-');
  const result = await runPgward(['wal-push', 'pg_wal/000000010000000000000001'], { cwd: dir, env: { PGWARD_REPO: `file://${repo}/r` } });
  expectCleanError(result, 5, /pg_control is not a regular file/);
  expect(existsSync(join(repo, 'r'))).toBe(false);
});

test('PG_VERSION holding 99 is refused and nothing is stamped', async () => {
  const dir = await copyWith('PG_VERSION', (path) => writeFileSync(path, '99\n'));
  const repo = postgresOwnedDir('hostile-repo-');
  const result = await runPgward(['wal-push', 'pg_wal/000000010000000000000001'], { cwd: dir, env: { PGWARD_REPO: `file://${repo}/r` } });
  expectCleanError(result, 5, /PostgreSQL 99, which is not a release this pgward supports/);
  expect(existsSync(join(repo, 'r', 'pgward.json'))).toBe(false);
});

// Every way a data directory can be unusable gets its own clear error with exit 5 (or 3 where the
// server is the wrong one), never a stack trace and never a guess.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { chownSync, copyFileSync, cpSync, mkdtempSync, openSync, closeSync, ftruncateSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { osUser } from '../harness/os-user.js';
import { TEST_ROOT } from '../harness/paths.js';
import { createCluster, type TestCluster } from '../harness/postgres.js';

const ENV = { PGUSER: 'postgres' };
let running: TestCluster;
let stopped: TestCluster;
let sleeper: ChildProcess;
let scratch: string;

/** A copy of the stopped cluster's data directory, owned by postgres, to damage at will. */
function copyOfStopped(name: string): string {
  const target = join(scratch, name);
  cpSync(stopped.dataDirectory, target, { recursive: true });
  const user = osUser('postgres');
  chownSync(target, user.uid, user.gid);
  return target;
}

function postmasterPid(pid: number, dataDirectory: string, port: number): string {
  return `${pid}\n${dataDirectory}\n${Math.floor(Date.now() / 1000)}\n${port}\n/tmp\n127.0.0.1\n  1 2\nready   \n`;
}

beforeAll(async () => {
  [running, stopped] = await Promise.all([createCluster({ version: '15' }), createCluster({ version: '15' })]);
  await stopped.stop();
  scratch = mkdtempSync(join(TEST_ROOT, 'unusable-'));
  sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
}, 60_000);

afterAll(async () => {
  sleeper?.kill();
  await Promise.all([running?.destroy(), stopped?.destroy()]);
  rmSync(scratch, { recursive: true, force: true });
});

describe('not a data directory', () => {
  test('a path that does not exist', async () => {
    expectCleanError(await runPgward(['cluster-info', join(scratch, 'missing')]), 5, /does not exist/);
  });

  test('an empty directory', async () => {
    const dir = join(scratch, 'empty');
    mkdirSync(dir);
    expectCleanError(await runPgward(['cluster-info', dir]), 5, /is not a PostgreSQL data directory \(no PG_VERSION\)/);
  });

  test('a file instead of a directory', async () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'x');
    expectCleanError(await runPgward(['cluster-info', file]), 5, /is not a directory/);
  });

  test('a Debian configuration folder is recognised in the hint', async () => {
    const dir = join(scratch, 'etc-like');
    mkdirSync(dir);
    writeFileSync(join(dir, 'postgresql.conf'), "data_directory = '/var/lib/postgresql/15/main'\n");
    const result = await runPgward(['cluster-info', dir]);
    expectCleanError(result, 5, /no PG_VERSION/);
    expect(result.stderr).toMatch(/HINT: this looks like a configuration folder/);
  });

  test('unreadable PGDATA (run as an OS user without access)', async () => {
    const result = await runPgward(['cluster-info', stopped.dataDirectory], { asUser: 'nobody' });
    expectCleanError(result, 5, /permission denied/);
    expect(result.stderr).toMatch(/HINT: run pgward as the cluster's owner/);
  });
});

describe('damaged pg_control', () => {
  test('truncated', async () => {
    const dir = copyOfStopped('truncated');
    const fd = openSync(join(dir, 'global', 'pg_control'), 'r+');
    ftruncateSync(fd, 100);
    closeSync(fd);
    expectCleanError(await runPgward(['cluster-info', dir]), 5, /pg_control is truncated/);
  });

  test('one bit flipped in the system identifier', async () => {
    const dir = copyOfStopped('bitflip');
    const path = join(dir, 'global', 'pg_control');
    const bytes = readFileSync(path);
    bytes[2]! ^= 0x04;
    writeFileSync(path, bytes);
    expectCleanError(await runPgward(['cluster-info', dir]), 5, /pg_control is corrupt \(CRC-32C mismatch\)/);
  });

  test('missing', async () => {
    const dir = copyOfStopped('no-control');
    rmSync(join(dir, 'global', 'pg_control'));
    expectCleanError(await runPgward(['cluster-info', dir]), 5, /pg_control is missing/);
  });
});

describe('stale or foreign postmaster.pid', () => {
  test('the pid is dead', async () => {
    const dir = copyOfStopped('dead-pid');
    // A pid above the kernel's pid_max cannot be alive.
    writeFileSync(join(dir, 'postmaster.pid'), postmasterPid(4194304 + 7, dir, 5999));
    expectCleanError(await runPgward(['cluster-info', dir]), 5, /stale .*postmaster.pid: pid \d+ is not running/);
  });

  test('the pid now belongs to a process that is not PostgreSQL', async () => {
    const dir = copyOfStopped('reused-pid');
    writeFileSync(join(dir, 'postmaster.pid'), postmasterPid(sleeper.pid!, dir, 5999));
    expectCleanError(await runPgward(['cluster-info', dir]), 5, new RegExp(`pid ${sleeper.pid} now belongs to "sleep"`));
  });

  test("the pid is another cluster's postmaster (a data directory copied while running)", async () => {
    const dir = copyOfStopped('copied-pid');
    copyFileSync(join(running.dataDirectory, 'postmaster.pid'), join(dir, 'postmaster.pid'));
    const result = await runPgward(['cluster-info', dir], { env: ENV });
    expectCleanError(result, 5, new RegExp(`pid ${running.pid} is the PostgreSQL server of ${running.dataDirectory}`));
  });

  test('a damaged postmaster.pid', async () => {
    const dir = copyOfStopped('garbage-pid');
    writeFileSync(join(dir, 'postmaster.pid'), 'not a pid file\n');
    expectCleanError(await runPgward(['cluster-info', dir]), 5, /postmaster.pid is damaged/);
  });
});

describe('a stopped cluster', () => {
  test('cluster-info reports it without failing', async () => {
    const result = await runPgward(['cluster-info', stopped.dataDirectory, '--json']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'stopped', verified: false, clusterState: 'shut down', pgMajor: '15' });
  });

  test('check, which needs the server, refuses with exit 5', async () => {
    const result = await runPgward(['check', stopped.dataDirectory], { env: { PGWARD_REPO: `file://${scratch}/repo` } });
    expectCleanError(result, 5, /is not running \(no postmaster.pid; pg_control says shut down\)/);
  });
});

describe('the errors are distinct', () => {
  test('a running cluster is usable', async () => {
    const result = await runPgward(['cluster-info', running.dataDirectory, '--json'], { env: ENV });
    expect(result.exitCode).toBe(0);
  });
});

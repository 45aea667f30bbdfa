// The daemon's start-up failures are errors a DBA can act on, never exit 70: a second daemon on a
// socket a live daemon answers on is refused (a stale socket file is taken over); a socket folder the
// daemon's user cannot write, /run/pgward included when started by hand, says how to create it. A
// relative path in a request is resolved against the data directory, as PostgreSQL's %p is.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { expectCleanError } from '../harness/expect-error.js';
import { TEST_ROOT } from '../harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { callDaemon } from '../../src/daemon/client.js';

let cluster: TestCluster;
let configFile: string;
let repo: string;
let socket: string;
let daemon: TestDaemon | undefined;

beforeAll(async () => {
  repo = join(postgresOwnedDir('daemon-err-repo-'), 'repo');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}` });
  socket = join(postgresOwnedDir('dsock-'), 'd.sock');
  cluster = await createCluster({ version: '15' });
  daemon = await startDaemon(cluster.dataDirectory, configFile, socket);
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await cluster?.destroy();
});

describe('a second daemon', () => {
  test('on a socket a live daemon answers on is refused with exit 2 and a hint', async () => {
    const result = await runPgward(['daemon', cluster.dataDirectory, '--config', configFile, '--socket', socket], { asUser: 'postgres' });
    expectCleanError(result, 2, /another pgward daemon is already serving on .*d\.sock/);
    expect(result.stderr).toMatch(/HINT: stop that daemon first/);
    // The first one still serves.
    expect((await callDaemon(socket, { v: 1, id: 7, op: 'ping' }, 2000))?.ok).toBe(true);
  });

  test('a stale socket file (a killed daemon) is taken over', async () => {
    daemon!.child.kill('SIGKILL');
    await daemon!.exited;
    expect(existsSync(socket)).toBe(true);
    daemon = await startDaemon(cluster.dataDirectory, configFile, socket);
    expect(daemon.child.exitCode).toBeNull();
    expect(daemon.output()).toMatch(/removed a stale socket file/);
  });
});

describe('the socket folder', () => {
  test('a folder the daemon user cannot write: exit 2, and the hint says how to create it', async () => {
    const rootOwned = mkdtempSync(join(TEST_ROOT, 'rootsock-'));
    chmodSync(rootOwned, 0o755);
    const result = await runPgward(['daemon', cluster.dataDirectory, '--config', configFile, '--socket', join(rootOwned, 'sub', 'd.sock')], { asUser: 'postgres' });
    expectCleanError(result, 2, /cannot use .*rootsock-.*\/sub for the daemon socket: postgres may not create or write it/);
    expect(result.stderr).toContain(`HINT: create it for the daemon's user: install -d -o postgres -g postgres ${join(rootOwned, 'sub')}`);
  });

  test('the default /run/pgward, missing or not writable when started by hand: exit 2 with the install -d command', async () => {
    // This host has no /run/pgward (only the systemd unit creates it); the daemon runs as postgres.
    expect(existsSync('/run/pgward') && readdirSync('/run/pgward').length > 0).toBe(false);
    const result = await runPgward(['daemon', cluster.dataDirectory, '--config', configFile], { asUser: 'postgres' });
    expectCleanError(result, 2, /cannot use \/run\/pgward for the daemon socket/);
    expect(result.stderr).toContain('install -d -o postgres -g postgres /run/pgward');
  });
});

test('a relative WAL path in a request is resolved against the data directory, not refused as another cluster', async () => {
  const segment = readdirSync(join(cluster.dataDirectory, 'pg_wal')).find((name) => /^[0-9A-F]{24}$/.test(name))!;
  const response = await callDaemon(socket, { v: 1, id: 9, op: 'wal-push', dataDirectory: cluster.dataDirectory, path: `pg_wal/${segment}` }, 10_000);
  expect(response?.ok).toBe(true);
  expect(readdirSync(join(repo, 'wal_005'))).toContain(`${segment}.lz4`);
});

test('a relative data directory in a request is a usage error (2), not an identity mismatch', async () => {
  const response = await callDaemon(socket, { v: 1, id: 10, op: 'wal-push', dataDirectory: 'data', path: 'pg_wal/x' }, 10_000);
  expect(response).toMatchObject({ ok: false, code: 'USAGE', exitCode: 2 });
});

// SIGHUP (systemctl reload): the daemon re-reads its config file, keeps its command-line flags
// first, and checks identity and stamp before serving again. A changed setting takes effect; a
// refusal after the cluster in PGDATA changed survives a reload while the cause remains, and ends
// only once the checks pass. The shipped unit passes the settings file with --config, so a reload
// can re-read it at all.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { appendFileSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { startDaemon, type TestDaemon } from '../harness/daemon.js';
import { REPO_ROOT } from '../harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { callDaemon } from '../../src/daemon/client.js';
import type { Response } from '../../src/daemon/protocol.js';

let cluster: TestCluster;
let other: TestCluster;
let configFile: string;
let repoFlag: string;
let repoConfig: string;
let socket: string;
let daemon: TestDaemon | undefined;
let archivedSegment: string;

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; daemon output:\n${daemon?.output().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Sends SIGHUP and waits for the daemon to log the outcome of that reload. */
async function reload(): Promise<string> {
  const before = daemon!.output().length;
  daemon!.child.kill('SIGHUP');
  return until('the reload to finish', async () => {
    const text = daemon!.output().slice(before);
    return /settings reloaded|reload failed/.test(text) ? text : undefined;
  });
}

function fetchRequest(id: number): Promise<Response | undefined> {
  const destination = join(postgresOwnedDir('fetched-'), archivedSegment);
  return callDaemon(socket, { v: 1, id, op: 'wal-fetch', dataDirectory: cluster.dataDirectory, segment: archivedSegment, destination }, 10_000);
}

beforeAll(async () => {
  repoFlag = join(postgresOwnedDir('reload-flag-'), 'repo');
  repoConfig = join(postgresOwnedDir('reload-conf-'), 'repo');
  socket = join(postgresOwnedDir('rsock-'), 'd.sock');
  // The config file names one repository, the command line another: the flag must win, before and
  // after a reload.
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repoConfig}`, PGWARD_DAEMON_SOCKET: socket });
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  other = await createCluster({ version: '15' });
  await other.stop();
  daemon = await startDaemon(cluster.dataDirectory, configFile, socket, ['--repo', `file://${repoFlag}`]);
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await cluster?.destroy();
  await other?.destroy();
});

test('the shipped unit passes the settings file with --config (an EnvironmentFile is never re-read)', () => {
  const unit = readFileSync(join(REPO_ROOT, 'systemd', 'pgward@.service'), 'utf8');
  expect(unit).toMatch(/^ExecStart=@NODE@ @PGWARD@ --config \/etc\/pgward\/%i\.conf daemon$/m);
  expect(unit).not.toMatch(/^EnvironmentFile=/m);
  expect(unit).toMatch(/^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
});

test('a changed config value takes effect on SIGHUP, and the command-line flags still win', async () => {
  const first = await switchWal(cluster);
  await waitArchived(cluster, first);
  expect(readdirSync(join(repoFlag, 'wal_005'))).toContain(`${first}.lz4`);

  appendFileSync(configFile, 'PGWARD_COMPRESSION=gzip\n');
  expect(await reload()).toMatch(/settings reloaded/);
  const second = await switchWal(cluster);
  await waitArchived(cluster, second);
  expect(readdirSync(join(repoFlag, 'wal_005'))).toContain(`${second}.gz`);
  // The config file's repository never received anything: --repo stayed in force.
  expect(readdirSync(join(repoConfig, '..'))).toEqual([]);
});

test('a refusal survives a SIGHUP while the cluster in PGDATA is another one, and ends when it is back', async () => {
  archivedSegment = await switchWal(cluster);
  await waitArchived(cluster, archivedSegment);
  expect((await fetchRequest(1))?.ok).toBe(true);
  // Another cluster (its own system identifier) now lives in the daemon's data directory.
  await cluster.stop();
  renameSync(cluster.dataDirectory, `${cluster.dataDirectory}-original`);
  renameSync(other.dataDirectory, cluster.dataDirectory);
  await cluster.start();
  const refused = await until('the daemon to refuse', async () => {
    const response = await fetchRequest(2);
    return response && !response.ok ? response : undefined;
  });
  expect(refused).toMatchObject({ ok: false, code: 'CLUSTER_IDENTITY_MISMATCH', exitCode: 3 });

  expect(await reload()).toMatch(/reload failed \(the cluster in .* changed/);
  expect(await fetchRequest(3)).toMatchObject({ ok: false, code: 'CLUSTER_IDENTITY_MISMATCH' });

  // The original cluster is back: the next reload finds identity and stamp in order and serves again.
  await cluster.stop();
  renameSync(cluster.dataDirectory, other.dataDirectory);
  renameSync(`${cluster.dataDirectory}-original`, cluster.dataDirectory);
  await cluster.start();
  expect(await fetchRequest(4)).toMatchObject({ ok: false, code: 'CLUSTER_IDENTITY_MISMATCH' });
  expect(await reload()).toMatch(/settings reloaded/);
  expect((await fetchRequest(5))?.ok).toBe(true);
}, 90_000);

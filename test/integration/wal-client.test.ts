// pgward-wal, the per-segment client in C (issue 12): with the daemon up, PostgreSQL archives through
// it with no Node process per segment; with the daemon down, or an answer it does not recognise, it
// hands the same arguments to the Node launcher, so archiving never depends on it. wal-fetch through
// it restores a segment byte for byte, and a missing one gets Node's "not in the archive" (exit 1).
import { afterAll, beforeAll, expect } from '@jest/globals';
import { chmodSync, chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { daemonSocketPath, startDaemon, type TestDaemon } from '../harness/daemon.js';
import { osUser } from '../harness/os-user.js';
import { PGWARD_BIN, REPO_ROOT } from '../harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { testNeeding } from '../harness/tools.js';

const CLIENT = join(REPO_ROOT, 'dist', 'native', 'pgward-wal');
const needsCc = testNeeding([['cc', 'gcc']]);
let cluster: TestCluster;
let daemon: TestDaemon | undefined;
let configFile: string;
let socket: string;
let repo: string;
let fallbackLog: string;
let recorder: string;
let archiveCommand: string;
const quoted = (text: string): string => text.replaceAll("'", "''");

const fallbacks = (): string[] => (existsSync(fallbackLog) ? readFileSync(fallbackLog, 'utf8').trim().split('\n').filter(Boolean) : []);
const archived = (segment: string): boolean => existsSync(join(repo, 'wal_005', `${segment}.lz4`));

beforeAll(async () => {
  if (!existsSync(CLIENT)) return;
  const dir = postgresOwnedDir('walclient-');
  repo = join(dir, 'repo');
  socket = daemonSocketPath('walclient-sock-');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_DAEMON_SOCKET: socket });
  fallbackLog = join(dir, 'fallbacks.log');
  recorder = join(dir, 'record-fallback.sh');
  // Stands in for the Node launcher, recording each hand-over, then doing exactly what it would.
  writeFileSync(recorder, `#!/bin/sh\necho "$*" >> '${fallbackLog}'\nexec '${process.execPath}' '${PGWARD_BIN}' "$@"\n`);
  chmodSync(recorder, 0o755);
  const user = osUser('postgres');
  chownSync(recorder, user.uid, user.gid);
  archiveCommand = `PGWARD_WAL_FALLBACK='${recorder}' '${CLIENT}' --config '${configFile}' wal-push %p`;
  cluster = await createCluster({ version: '15', extraConfig: { archive_mode: 'on', archive_command: archiveCommand, wal_keep_size: '1GB' } });
  daemon = await startDaemon(cluster.dataDirectory, configFile, socket);
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await cluster?.destroy();
});

needsCc('with the daemon up, every segment is archived through the socket: no Node process per segment', async () => {
  const segments: string[] = [];
  for (let i = 0; i < 5; i++) segments.push(await switchWal(cluster));
  const stats = await waitArchived(cluster, segments.at(-1)!);
  expect(stats.failed).toBe(0);
  expect(segments.filter((s) => !archived(s))).toEqual([]);
  expect(fallbacks()).toEqual([]);
}, 60_000);

needsCc('wal-fetch through the daemon restores the segment byte for byte; a missing one is exit 1 from Node', async () => {
  const segment = await switchWal(cluster);
  await waitArchived(cluster, segment);
  const destination = join(postgresOwnedDir('walclient-fetch-'), 'RECOVERYXLOG');
  const user = osUser('postgres');
  const run = (args: string[]) => execa(CLIENT, ['--config', configFile, ...args], { cwd: cluster.dataDirectory, uid: user.uid, gid: user.gid, env: { PGWARD_WAL_FALLBACK: recorder }, reject: false });
  const ok = await run(['wal-fetch', segment, destination]);
  expect({ exitCode: ok.exitCode, stderr: ok.stderr }).toEqual({ exitCode: 0, stderr: '' });
  expect(readFileSync(destination).equals(readFileSync(join(cluster.dataDirectory, 'pg_wal', segment)))).toBe(true);
  expect(fallbacks()).toEqual([]);
  const missing = await run(['wal-fetch', '0000000100000000000000FE', destination]);
  expect(missing.exitCode).toBe(1);
  expect(fallbacks()).toEqual([`--config ${configFile} wal-fetch 0000000100000000000000FE ${destination}`]);
}, 60_000);

needsCc('an answer it does not recognise is handed to Node, which archives the segment itself', async () => {
  const fake = daemonSocketPath('walclient-fake-');
  const server = createServer((s) => s.end(Buffer.from([0, 0, 0, 5, 0x7b, 0x22, 0x6f, 0x6b, 0x7d]))); // {"ok}
  await new Promise<void>((resolve) => server.listen(fake, resolve));
  chmodSync(fake, 0o777);
  try {
    const before = fallbacks().length;
    const segment = await switchWal(cluster);
    await cluster.query(`ALTER SYSTEM SET archive_command = '${quoted(`PGWARD_DAEMON_SOCKET=${fake} ${archiveCommand}`)}'`);
    await cluster.query('SELECT pg_reload_conf()');
    const next = await switchWal(cluster);
    const stats = await waitArchived(cluster, next);
    expect(stats.failed).toBe(0);
    expect(archived(segment) && archived(next)).toBe(true);
    expect(fallbacks().length).toBeGreaterThan(before);
  } finally {
    server.close();
  }
}, 60_000);

needsCc('with the daemon stopped, archiving goes on through the Node launcher', async () => {
  await cluster.query(`ALTER SYSTEM SET archive_command = '${quoted(archiveCommand)}'`);
  await cluster.query('SELECT pg_reload_conf()');
  await daemon!.stop();
  daemon = undefined;
  const before = fallbacks().length;
  const segment = await switchWal(cluster);
  const stats = await waitArchived(cluster, segment);
  expect(stats.failed).toBe(0);
  expect(archived(segment)).toBe(true);
  expect(fallbacks().length).toBeGreaterThan(before);
}, 60_000);

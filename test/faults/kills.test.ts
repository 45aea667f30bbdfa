// SIGKILL at the worst moments: wal-push while its upload hangs in the store, backup-push at seeded
// random points, the daemon while its upload hangs, PostgreSQL in the middle of a backup. After each,
// the next run succeeds, every archived segment is byte-exact in the store, and nothing that lists as
// a complete backup is left by a killed run.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { archiveSettings, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { listBackupsJson } from '../harness/cli.js';
import { daemonSocketPath, startDaemon } from '../harness/daemon.js';
import { PG_BIN_DIRS, PGWARD_BIN } from '../harness/paths.js';
import { createCluster, type TestCluster } from '../harness/postgres.js';
import { startS3FaultProxy, type S3FaultProxy } from '../harness/s3-fault-proxy.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';
import { listKeys, probeSeed, runBounded, summary, verifySegments } from './probe.js';

const seed = probeSeed();
let s3: TestS3Server;
let proxy: S3FaultProxy;
let cluster: TestCluster;
let configFile: string;
let daemonConfig: string;
let directConfig: string;
let socket: string;

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('kills');
  proxy = await startS3FaultProxy(s3.endpoint, { seed });
  const direct = s3.env('kills', 'pg15');
  directConfig = writePgwardConfig(direct);
  socket = daemonSocketPath('kill-sock-');
  const viaProxy = { ...proxy.env(direct), PGWARD_STORAGE_RETRIES: '3', PGWARD_PARTITION_SIZE_MB: '4', PGWARD_BACKUP_WAL_TIMEOUT: '60' };
  configFile = writePgwardConfig({ ...viaProxy, PGWARD_NO_DAEMON: 'true' });
  daemonConfig = writePgwardConfig({ ...viaProxy, PGWARD_DAEMON_SOCKET: socket });
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  const conn = cluster.connection();
  await execa(join(PG_BIN_DIRS['15']!, 'pgbench'), ['-h', conn.host, '-p', String(conn.port), '-U', 'postgres', '-i', '-s', '2', '-q', 'postgres']);
}, 90_000);

afterAll(async () => {
  try {
    await cluster?.destroy();
  } finally {
    await proxy?.close();
    await s3?.stop();
  }
});

async function until<T>(what: string, ms: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms (seed ${seed})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The pid of the wal-push PostgreSQL started for `segment` with `config` (found in /proc, killed by pid). */
function walPushPid(config: string): number | undefined {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (args.includes(PGWARD_BIN) && args.includes('wal-push') && args.includes(config)) return Number(pid);
    } catch {
      // the process ended while it was read
    }
  }
  return undefined;
}

/** Keys under wal_005/ that are neither a segment nor a history file: hidden temporaries left behind. */
async function strayWalKeys(): Promise<string[]> {
  return (await listKeys(s3, 'kills', 'pg15/wal_005/')).filter((key) => !/\/([0-9A-F]{24}|[0-9A-F]{24}\.[0-9A-F]{8}\.backup|[0-9A-F]{8}\.history)(\.lz4|\.zst|\.gz)?$/.test(key));
}

async function exactSegments(segments: string[]): Promise<string[]> {
  const verdicts = await verifySegments(cluster.dataDirectory, segments, directConfig);
  return segments.filter((s) => verdicts[s] !== 'exact').map((s) => `${s}: ${verdicts[s]}`);
}

test('wal-push killed while its upload hangs in the store: PostgreSQL retries, the segment is stored intact', async () => {
  // A stall that swallows the body: the store never sees the killed upload (see the report for a cut
  // body that reaches the store).
  proxy.addRule({ operation: 'PutObject', key: /wal_005\//, times: 1, fault: { kind: 'stall' } });
  const segment = await switchWal(cluster);
  await until('the stalled PutObject', 30_000, () => proxy.injected('stall').length > 0);
  const pid = await until('the wal-push process', 10_000, () => walPushPid(configFile));
  process.kill(pid, 'SIGKILL');
  await waitArchived(cluster, segment, 60_000);
  const bad = await exactSegments([segment]);
  const stray = await strayWalKeys();
  const line = summary('kill wal-push', seed, { trials: 1, 'faults injected': 1, 'wrong acknowledgements': bad.length, 'stray objects': stray.length, 'exit 70:': 0 });
  expect({ line, bad, stray }).toEqual({ line, bad: [], stray: [] });
}, 120_000);

test('backup-push killed at random points: nothing complete is left, the next run succeeds', async () => {
  proxy.clearRules();
  // Slow every backup object a little so the kills land inside the upload as well as before it.
  proxy.addRule({ operation: ['PutObject', 'UploadPart'], key: /basebackups_005\//, fault: { kind: 'delay', ms: 400 } });
  const draw = ((state: number) => () => ((state = (state * 1103515245 + 12345) >>> 0) % 4000) + 200)(seed);
  const stories: string[] = [];
  let leftComplete = 0;
  let finished = 0;
  const trials = 3;
  for (let trial = 0; trial < trials; trial++) {
    const before = new Set((await listBackupsJson(directConfig, true)).filter((b) => b.complete).map((b) => b.name));
    const wait = draw();
    const child = execa(process.execPath, [PGWARD_BIN, 'backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint'], { reject: false, env: { PGUSER: 'postgres', PATH: process.env.PATH ?? '' }, extendEnv: false });
    const timer = setTimeout(() => child.kill('SIGKILL'), wait);
    const result = await child;
    clearTimeout(timer);
    const added = (await listBackupsJson(directConfig, true)).filter((b) => b.complete && !before.has(b.name)).map((b) => b.name);
    stories.push(`kill after ${wait} ms: exit ${result.exitCode ?? result.signal}, new complete ${JSON.stringify(added)}`);
    if (result.exitCode === 0) finished++;
    else if (added.length > 0) leftComplete++;
  }
  proxy.clearRules();
  const next = await runBounded(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint'], 180_000, { PGUSER: 'postgres' });
  const line = summary('kill backup-push', seed, { trials, 'faults injected': trials - finished, 'killed runs leaving a complete backup': leftComplete, 'next run exit': next.exitCode, 'exit 70:': next.exitCode === 70 ? 1 : 0 });
  expect({ line, stories, leftComplete, next: next.exitCode }).toEqual({ line, stories, leftComplete: 0, next: 0 });
}, 300_000);

test('the daemon killed while its upload hangs: archiving goes on without it, a restarted daemon takes over', async () => {
  proxy.clearRules();
  const daemon = await startDaemon(cluster.dataDirectory, daemonConfig, socket);
  await cluster.query(`ALTER SYSTEM SET archive_command = '${archiveSettings(daemonConfig).archive_command!.replace(/'/g, "''")}'`);
  await cluster.query('SELECT pg_reload_conf()');
  await waitArchived(cluster, await switchWal(cluster), 60_000);
  const stalledBefore = proxy.injected('stall').length;
  proxy.addRule({ operation: 'PutObject', key: /wal_005\//, times: 1, fault: { kind: 'stall' } });
  const segment = await switchWal(cluster);
  await until('the daemon\'s stalled PutObject', 30_000, () => proxy.injected('stall').length > stalledBefore);
  daemon.child.kill('SIGKILL');
  await daemon.exited;
  await waitArchived(cluster, segment, 90_000);
  const again = await startDaemon(cluster.dataDirectory, daemonConfig, socket);
  const after = await switchWal(cluster);
  await waitArchived(cluster, after, 60_000);
  await again.stop();
  const bad = await exactSegments([segment, after]);
  const stray = await strayWalKeys();
  const line = summary('kill daemon', seed, { trials: 1, 'faults injected': 1, 'wrong acknowledgements': bad.length, 'stray objects': stray.length, 'exit 70:': 0 });
  expect({ line, bad, stray }).toEqual({ line, bad: [], stray: [] });
  await cluster.query(`ALTER SYSTEM SET archive_command = '${archiveSettings(configFile).archive_command!.replace(/'/g, "''")}'`);
  await cluster.query('SELECT pg_reload_conf()');
}, 240_000);

test('PostgreSQL killed during a backup: the push fails cleanly, nothing complete, the next push after restart succeeds', async () => {
  proxy.clearRules();
  proxy.addRule({ operation: ['PutObject', 'UploadPart'], key: /basebackups_005\//, fault: { kind: 'delay', ms: 1000 } });
  const before = new Set((await listBackupsJson(directConfig, true)).filter((b) => b.complete).map((b) => b.name));
  const seenBefore = proxy.seen('PutObject', 'UploadPart', 'CreateMultipartUpload').filter((r) => r.key?.includes('basebackups_005/')).length;
  const push = runBounded(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint'], 180_000, { PGUSER: 'postgres' });
  await until('the first backup object', 60_000, () => proxy.seen('PutObject', 'UploadPart', 'CreateMultipartUpload').filter((r) => r.key?.includes('basebackups_005/')).length > seenBefore);
  const postmaster = cluster.pid!;
  process.kill(postmaster, 'SIGKILL');
  const result = await push;
  proxy.clearRules();
  const error = result.stderr.split('\n').filter((l) => l.startsWith('pgward: ERROR:') || l.startsWith('HINT:')).join(' / ');
  const added = (await listBackupsJson(directConfig, true)).filter((b) => b.complete && !before.has(b.name)).map((b) => b.name);
  // The orphaned backends end on their own once they notice the postmaster is gone; start again then.
  // The killed postmaster's postmaster.pid still says "ready": wait for the new one's own pid in it.
  cluster.pid = undefined;
  await until('a restart after the kill', 60_000, async () => {
    if (existsSync(`/proc/${postmaster}`)) return undefined;
    if (cluster.serverPid === postmaster || !existsSync(`/proc/${cluster.serverPid}`)) cluster.spawnServer();
    const lines = existsSync(join(cluster.dataDirectory, 'postmaster.pid')) ? readFileSync(join(cluster.dataDirectory, 'postmaster.pid'), 'utf8').split('\n') : [];
    return Number(lines[0]) === cluster.serverPid && lines[7]?.trim() === 'ready' ? true : undefined;
  });
  cluster.pid = cluster.serverPid;
  const next = await runBounded(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint'], 180_000, { PGUSER: 'postgres' });
  const line = summary('kill postgres during backup', seed, { trials: 1, 'faults injected': 1, 'push exit': result.exitCode, 'left complete': added.length, 'next run exit': next.exitCode, 'exit 70:': [result, next].filter((r) => r.exitCode === 70).length });
  const story = `${line}\n${error}\n${next.stderr.slice(-600)}`;
  expect({ story, failed: result.exitCode !== 0 && result.exitCode !== 70 && !result.hung, added, privileges: /privilege|permission|grant/i.test(error), next: next.exitCode }).toEqual({ story, failed: true, added: [], privileges: false, next: 0 });
}, 300_000);

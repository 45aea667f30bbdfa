// PostgreSQL archives through wal-push, then through the daemon, while pgbench writes and the proxy
// answers one S3 request in five with a 500, a SlowDown, a dropped connection or a 1.5 s delay.
// Afterwards every segment PostgreSQL marked `.done` is fetched from s3rver directly and must equal
// the copy still in pg_wal: failed attempts are allowed (PostgreSQL retries), a wrong acknowledgement
// is not. Each attempt of archive_command is recorded to count exit 70s and pushes past the bound.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { execa } from 'execa';
import { switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { daemonSocketPath, startDaemon, type TestDaemon } from '../harness/daemon.js';
import { PG_BIN_DIRS } from '../harness/paths.js';
import { createCluster, type TestCluster } from '../harness/postgres.js';
import { startS3FaultProxy, type S3FaultProxy } from '../harness/s3-fault-proxy.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';
import { doneSegments, ORDINARY_FAULTS, probeSeed, recordingArchiveCommand, summary, verifySegments } from './probe.js';

const seed = probeSeed();
// PGWARD_WAL_PUSH_TIMEOUT's default, plus a Node start-up: an attempt longer than this is a hang.
const PUSH_BOUND_MS = 35_000;
let s3: TestS3Server;
let proxy: S3FaultProxy;
let cluster: TestCluster;
let daemon: TestDaemon | undefined;
let directConfig: string;
let socket: string;
const standalone = { config: '', recorder: undefined as unknown as ReturnType<typeof recordingArchiveCommand> };
const viaDaemon = { config: '', recorder: undefined as unknown as ReturnType<typeof recordingArchiveCommand> };

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('walfaults');
  proxy = await startS3FaultProxy(s3.endpoint, { seed });
  const direct = s3.env('walfaults', 'pg15');
  directConfig = writePgwardConfig(direct);
  socket = daemonSocketPath('wal-sock-');
  const faulty = { ...proxy.env(direct), PGWARD_STORAGE_RETRIES: '3', PGWARD_STORAGE_TIMEOUT: '10' };
  standalone.config = writePgwardConfig({ ...faulty, PGWARD_NO_DAEMON: 'true' });
  viaDaemon.config = writePgwardConfig({ ...faulty, PGWARD_DAEMON_SOCKET: socket });
  standalone.recorder = recordingArchiveCommand(standalone.config);
  viaDaemon.recorder = recordingArchiveCommand(viaDaemon.config);
  cluster = await createCluster({
    version: '15',
    extraConfig: { archive_mode: 'on', archive_command: standalone.recorder.command, wal_keep_size: '2GB', archive_timeout: '0' },
  });
  const conn = cluster.connection();
  await execa(join(PG_BIN_DIRS['15']!, 'pgbench'), ['-h', conn.host, '-p', String(conn.port), '-U', 'postgres', '-i', '-s', '1', '-q', 'postgres']);
}, 90_000);

afterAll(async () => {
  await daemon?.stop();
  try {
    await cluster?.destroy();
  } finally {
    await proxy?.close();
    await s3?.stop();
  }
});

async function loadUnderFaults(): Promise<void> {
  const conn = cluster.connection();
  const bench = execa(join(PG_BIN_DIRS['15']!, 'pgbench'), ['-h', conn.host, '-p', String(conn.port), '-U', 'postgres', '-c', '2', '-T', '6', 'postgres']);
  for (let i = 0; i < 20; i++) await switchWal(cluster);
  await bench;
  // Everything written so far must be archived before the faults stop: PostgreSQL retries failures.
  await waitArchived(cluster, await switchWal(cluster), 150_000);
}

function figures(recorder: ReturnType<typeof recordingArchiveCommand>, faults: number, verdicts: Record<string, string>, segments: string[]) {
  const attempts = recorder.attempts();
  const acknowledged = new Set(attempts.filter((a) => a.exitCode === 0).map((a) => a.segment));
  const mine = segments.filter((s) => acknowledged.has(s));
  return {
    trials: attempts.length,
    'segments acknowledged': mine.length,
    'faults injected': faults,
    'failed attempts': attempts.filter((a) => a.exitCode !== 0).length,
    'wrong acknowledgements': mine.filter((s) => verdicts[s] === 'different' || verdicts[s] === 'unreadable').length,
    'data lost': mine.filter((s) => verdicts[s] === 'missing').length,
    'hangs past bound': attempts.filter((a) => a.ms > PUSH_BOUND_MS).length,
    'slowest ms': Math.max(0, ...attempts.map((a) => a.ms)),
    'exit 70:': attempts.filter((a) => a.exitCode === 70).length,
  };
}

test('wal-push alone, then through the daemon, under a 20% fault rate: every .done segment stored byte-exact', async () => {
  proxy.addRule({ rate: 0.2, fault: ORDINARY_FAULTS });
  await loadUnderFaults();
  const standaloneFaults = proxy.injected().length;
  const firstPhase = new Set(doneSegments(cluster.dataDirectory));

  daemon = await startDaemon(cluster.dataDirectory, viaDaemon.config, socket);
  await cluster.query(`ALTER SYSTEM SET archive_command = '${viaDaemon.recorder.command}'`);
  await cluster.query('SELECT pg_reload_conf()');
  await loadUnderFaults();
  const daemonFaults = proxy.injected().length - standaloneFaults;
  proxy.clearRules();

  const segments = doneSegments(cluster.dataDirectory);
  const verdicts = await verifySegments(cluster.dataDirectory, segments, directConfig);
  const [failed] = await cluster.query<{ failed_count: string }>('SELECT failed_count FROM pg_stat_archiver');
  const lines = [
    summary('wal-push', seed, figures(standalone.recorder, standaloneFaults, verdicts, segments)),
    summary('wal-push via daemon', seed, figures(viaDaemon.recorder, daemonFaults, verdicts, segments.filter((s) => !firstPhase.has(s)))),
  ];
  const bad = Object.entries(verdicts).filter(([, v]) => v !== 'exact');
  expect({ lines, failedCount: failed?.failed_count, bad }).toEqual({ lines, failedCount: failed?.failed_count, bad: [] });
  for (const line of lines) expect(line).toMatch(/wrong acknowledgements 0, data lost 0, hangs past bound 0, slowest ms \d+, exit 70: 0 /);
  expect(segments.length).toBeGreaterThan(10);
}, 420_000);

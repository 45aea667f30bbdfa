// wal-push wall time per segment, as archive_command pays it: a new process per segment, run as the
// postgres user in the data directory, on real 16 MiB segments written by pgbench. Measured against
// the filesystem repository and against s3rver on loopback, beside `node -e 0` (the floor for any
// one-process-per-segment Node tool on this machine). Usage: npm run bench:wal-push [-- SEGMENTS]
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { callDaemon } from '../src/daemon/client.js';
import { join } from 'node:path';
import { execa } from 'execa';
import { osUser } from '../test/harness/os-user.js';
import { PG_BIN_DIRS, PGWARD_BIN, REPO_ROOT, TEST_ROOT } from '../test/harness/paths.js';
import { createCluster, postgresOwnedDir } from '../test/harness/postgres.js';
import { startS3rver } from '../test/harness/s3rver.js';
import { claimScriptRoot, removeRunRoot } from '../test/harness/strays.js';
import { startDaemon } from '../test/harness/daemon.js';
import { writePgwardConfig } from '../test/harness/archiving.js';

const COUNT = Number(process.argv[2] ?? 50);
const user = osUser('postgres');

function stats(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return `median ${at(0.5).toFixed(0)} ms, p95 ${at(0.95).toFixed(0)} ms, min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms (n=${ms.length})`;
}

async function time(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

await claimScriptRoot();
const cluster = await createCluster({ version: '15', extraConfig: { wal_keep_size: '4GB', max_wal_size: '4GB' } });
const s3 = await startS3rver();
try {
  await s3.createBucket('bench');
  const conn = cluster.connection();
  const pgbench = (args: string[]) => execa(join(PG_BIN_DIRS['15']!, 'pgbench'), ['-h', conn.host, '-p', String(conn.port), '-U', 'postgres', ...args, 'postgres']);
  const walDir = join(cluster.dataDirectory, 'pg_wal');
  const segments = () => readdirSync(walDir).filter((f) => /^[0-9A-F]{24}$/.test(f)).sort();
  process.stderr.write(`writing ${COUNT} segments of pgbench WAL...\n`);
  while (segments().length < COUNT + 2) await pgbench(['-i', '-s', '10', '-q']);
  await cluster.query('SELECT pg_switch_wal()');
  const chosen = segments().slice(0, COUNT);
  // Warm the page cache: the archiver reads segments PostgreSQL has just written.
  for (const name of chosen) await execa('cat', [join(walDir, name)], { stdout: 'ignore' });

  const runAs = { uid: user.uid, gid: user.gid, cwd: cluster.dataDirectory, extendEnv: false };
  const floor: number[] = [];
  for (let i = 0; i < 20; i++) floor.push(await time(() => execa(process.execPath, ['-e', '0'], runAs)));

  const targets: Array<[string, Record<string, string>]> = [
    ['filesystem', { PGWARD_REPO: `file://${postgresOwnedDir('bench-repo-')}/repo` }],
    ['s3rver', s3.env('bench', 'wal')],
  ];
  const results: string[] = [`node -e 0 (floor)       ${stats(floor)}`];
  for (const [name, env] of targets) {
    const ms: number[] = [];
    for (const segment of chosen) {
      ms.push(await time(() => execa(process.execPath, [PGWARD_BIN, 'wal-push', `pg_wal/${segment}`], { ...runAs, env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...env } })));
    }
    results.push(`wal-push to ${name.padEnd(10)} ${stats(ms)}`);
  }
  // The same segments through the daemon, into fresh repositories.
  const daemonTargets: Array<[string, Record<string, string>]> = [
    ['filesystem', { PGWARD_REPO: `file://${postgresOwnedDir('bench-repo-d-')}/repo` }],
    ['s3rver', s3.env('bench', 'wal-daemon')],
  ];
  for (const [name, env] of daemonTargets) {
    const socket = join(postgresOwnedDir('bench-sock-'), 'd.sock');
    const config = writePgwardConfig({ ...env, PGWARD_DAEMON_SOCKET: socket });
    const daemon = await startDaemon(cluster.dataDirectory, config, socket);
    const ms: number[] = [];
    try {
      // A backlog: mark the segments .ready as PostgreSQL would, and time how long the daemon takes to
      // have all of them stored and verified (it reports that by answering wal-push from its cache).
      const statusDir = join(walDir, 'archive_status');
      const drainStart = process.hrtime.bigint();
      for (const segment of chosen) {
        writeFileSync(join(statusDir, `${segment}.ready`), '');
        chownSync(join(statusDir, `${segment}.ready`), user.uid, user.gid);
      }
      for (const segment of chosen) {
        for (;;) {
          const reply = await callDaemon(socket, { v: 1, id: 1, op: 'wal-push', dataDirectory: cluster.dataDirectory, path: join(walDir, segment) }, 60_000);
          if (reply?.ok) break;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      const drainMs = Number(process.hrtime.bigint() - drainStart) / 1e6;
      results.push(`daemon drains a ${chosen.length}-segment backlog to ${name.padEnd(10)} in ${(drainMs / 1000).toFixed(2)} s`);
      for (const segment of chosen) {
        ms.push(await time(() => execa(process.execPath, [PGWARD_BIN, '--config', config, 'wal-push', `pg_wal/${segment}`], { ...runAs, env: { PATH: process.env.PATH ?? '', HOME: '/tmp' } })));
      }
    } finally {
      await daemon.stop();
    }
    results.push(`archive_command via daemon, segment already uploaded ahead, ${name.padEnd(10)} ${stats(ms)}`);
    for (const segment of chosen) rmSync(join(walDir, 'archive_status', `${segment}.ready`), { force: true });
  }
  // pgBackRest archive-push on the same segments (filesystem repository: its S3 needs TLS).
  const statusDir = join(walDir, 'archive_status');
  const markReady = (ready: boolean) => {
    for (const segment of chosen) {
      const path = join(statusDir, `${segment}.ready`);
      if (ready) {
        writeFileSync(path, '');
        chownSync(path, user.uid, user.gid);
      } else rmSync(path, { force: true });
    }
  };
  const pgbackrestConfig = (async: boolean): string => {
    const dir = postgresOwnedDir('bench-pgbackrest-');
    for (const sub of ['repo', 'log', 'lock', 'spool']) {
      mkdirSync(join(dir, sub));
      chownSync(join(dir, sub), user.uid, user.gid);
    }
    const path = join(dir, 'pgbackrest.conf');
    writeFileSync(path, `[global]\nrepo1-path=${dir}/repo\nlog-path=${dir}/log\nlock-path=${dir}/lock\nspool-path=${dir}/spool\ncompress-type=lz4\nlog-level-console=warn\n${async ? 'archive-async=y\nprocess-max=2\n' : ''}\n[bench]\npg1-path=${cluster.dataDirectory}\npg1-port=${cluster.port}\npg1-socket-path=${cluster.socketDirectory}\npg1-user=postgres\n`);
    return path;
  };
  const sequence = async (command: (segment: string) => Promise<unknown>): Promise<{ ms: number[]; totalMs: number }> => {
    const ms: number[] = [];
    const started = process.hrtime.bigint();
    for (const segment of chosen) ms.push(await time(() => command(segment)));
    return { ms, totalMs: Number(process.hrtime.bigint() - started) / 1e6 };
  };
  for (const async of [false, true]) {
    const config = pgbackrestConfig(async);
    await execa('pgbackrest', [`--config=${config}`, '--stanza=bench', 'stanza-create'], { uid: user.uid, gid: user.gid });
    if (async) markReady(true);
    const run = await sequence((segment) => execa('pgbackrest', [`--config=${config}`, '--stanza=bench', 'archive-push', `pg_wal/${segment}`], runAs));
    if (async) markReady(false);
    results.push(`pgbackrest archive-push ${async ? 'async (process-max=2), 50 .ready' : 'sync'} to filesystem: ${stats(run.ms)}, ${chosen.length} calls in ${(run.totalMs / 1000).toFixed(2)} s`);
  }
  {
    const socket = join(postgresOwnedDir('bench-sock-'), 'b.sock');
    const config = writePgwardConfig({ PGWARD_REPO: `file://${postgresOwnedDir('bench-repo-b-')}/repo`, PGWARD_DAEMON_SOCKET: socket });
    const daemon = await startDaemon(cluster.dataDirectory, config, socket);
    try {
      markReady(true);
      const run = await sequence((segment) => execa(process.execPath, [PGWARD_BIN, '--config', config, 'wal-push', `pg_wal/${segment}`], { ...runAs, env: { PATH: process.env.PATH ?? '', HOME: '/tmp' } }));
      markReady(false);
      results.push(`pgward wal-push with daemon, 50 .ready, to filesystem: ${stats(run.ms)}, ${chosen.length} calls in ${(run.totalMs / 1000).toFixed(2)} s`);
    } finally {
      await daemon.stop();
    }
  }
  // The same with pgward-wal, the C client (built by npm run build when cc exists): no Node start-up.
  const client = join(REPO_ROOT, 'dist', 'native', 'pgward-wal');
  if (existsSync(client)) {
    const socket = join(postgresOwnedDir('bench-sock-'), 'c.sock');
    const config = writePgwardConfig({ PGWARD_REPO: `file://${postgresOwnedDir('bench-repo-c-')}/repo`, PGWARD_DAEMON_SOCKET: socket });
    const daemon = await startDaemon(cluster.dataDirectory, config, socket);
    try {
      markReady(true);
      const run = await sequence((segment) => execa(client, ['--config', config, 'wal-push', `pg_wal/${segment}`], { ...runAs, env: { PATH: process.env.PATH ?? '', HOME: '/tmp' } }));
      markReady(false);
      results.push(`pgward-wal (C client) with daemon, 50 .ready, to filesystem: ${stats(run.ms)}, ${chosen.length} calls in ${(run.totalMs / 1000).toFixed(2)} s`);
      const again = await sequence((segment) => execa(client, ['--config', config, 'wal-push', `pg_wal/${segment}`], { ...runAs, env: { PATH: process.env.PATH ?? '', HOME: '/tmp' } }));
      results.push(`pgward-wal (C client), segment archived earlier (the daemon re-checks the stored copy): ${stats(again.ms)}`);
    } finally {
      await daemon.stop();
    }
  } else results.push('pgward-wal (C client): not built (no cc)');
  process.stdout.write(`${results.join('\n')}\n`);
} finally {
  await cluster.destroy();
  await s3.stop();
  await removeRunRoot(TEST_ROOT);
}

// Base backup and restore throughput, side by side in one run on the same warm PostgreSQL 15 cluster
// loaded by pgbench: the machine's limit (tar | lz4 -1 > /dev/null), pg_basebackup -Ft | lz4,
// pgBackRest (Debian's, process-max=2, lz4, posix repository) and pgward (filesystem repository,
// lz4), then pgward backup-verify of the same backup at both levels. Wall time and peak RSS come from
// GNU time; every figure is the median of PGWARD_BENCH_ROUNDS (default 3) interleaved rounds, so a
// noisy moment of a shared machine hits every tool alike. Usage: bench/backup.sh [SCALE...] (default
// 100, about 1.5 GB); several scales show how pgward's peak RSS changes with cluster size.
import { mkdirSync, writeFileSync, chownSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa, execaSync } from 'execa';
import { archiveSettings, writePgwardConfig } from '../test/harness/archiving.js';
import { osUser } from '../test/harness/os-user.js';
import { PG_BIN_DIRS, PGWARD_BIN, TEST_ROOT } from '../test/harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../test/harness/postgres.js';
import { claimScriptRoot, removeRunRoot } from '../test/harness/strays.js';

const scales = process.argv.slice(2).map(Number).filter((n) => n > 0);
const user = osUser('postgres');
const asPostgres = { uid: user.uid, gid: user.gid };

interface Measured {
  seconds: number;
  rssMb: number;
  stdout: string;
}

const rounds = Math.max(1, Number(process.env.PGWARD_BENCH_ROUNDS ?? 3));

/** The median round by wall time (its RSS with it): an odd number of rounds gives a real run. */
function median(runs: Measured[]): Measured {
  return [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!;
}

async function measure(command: string, env: Record<string, string> = {}, asUser = true): Promise<Measured> {
  const dir = join(TEST_ROOT, 'times');
  mkdirSync(dir, { recursive: true, mode: 0o777 });
  execaSync('chmod', ['1777', dir]);
  const out = join(dir, `time-${Date.now()}`);
  // What the previous tool left dirty in the page cache is written back now, not during this one's
  // run (a restore leaves a cluster's worth: the kernel's writeback would bill it to the next tool).
  await execa('sync');
  const result = await execa('/usr/bin/time', ['-f', '%e %M', '-o', out, 'bash', '-c', command], {
    ...(asUser ? asPostgres : {}),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', ...env },
    reject: false,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.exitCode !== 0) throw new Error(`${command} failed: ${result.stderr}`);
  const [seconds, kb] = (await execa('cat', [out])).stdout.trim().split(/\s+/).slice(-2).map(Number);
  rmSync(out);
  return { seconds: seconds!, rssMb: kb! / 1024, stdout: result.stdout };
}

async function runScale(scale: number): Promise<string[]> {
  const pgwardRepo = join(postgresOwnedDir('bench-pgward-'), 'repo');
  const config = writePgwardConfig({ PGWARD_REPO: `file://${pgwardRepo}`, PGWARD_LOG_LEVEL: 'warn' });
  const cluster: TestCluster = await createCluster({ version: '15', extraConfig: { ...archiveSettings(config), wal_keep_size: '0', max_wal_size: '4GB', checkpoint_timeout: '30min' } });
  try {
    const conn = cluster.connection();
    process.stderr.write(`scale ${scale}: loading pgbench data...\n`);
    await execa(join(PG_BIN_DIRS['15']!, 'pgbench'), ['-h', conn.host, '-p', String(conn.port), '-U', 'postgres', '-i', '-s', String(scale), '-q', 'postgres']);
    await cluster.query('CHECKPOINT');
    const data = cluster.dataDirectory;
    const node = process.execPath;

    // pgBackRest, configured as TEST-INFRA describes, in its own folder.
    const rest = postgresOwnedDir('bench-pgbackrest-');
    for (const sub of ['repo', 'log', 'lock', 'spool']) {
      mkdirSync(join(rest, sub));
      chownSync(join(rest, sub), user.uid, user.gid);
    }
    const restConf = join(rest, 'pgbackrest.conf');
    const restConfText = (path: string) =>
      `[global]\nrepo1-path=${rest}/repo\nlog-path=${rest}/log\nlock-path=${rest}/lock\nspool-path=${rest}/spool\nstart-fast=y\ncompress-type=lz4\nprocess-max=2\narchive-check=n\nlog-level-console=warn\n\n[bench]\npg1-path=${path}\npg1-port=${cluster.port}\npg1-socket-path=${cluster.socketDirectory}\npg1-user=postgres\n`;
    writeFileSync(restConf, restConfText(data));
    await execa('pgbackrest', [`--config=${restConf}`, '--stanza=bench', 'stanza-create'], asPostgres);

    process.stderr.write('warming the page cache...\n');
    await measure(`tar -cf - -C ${data} . > /dev/null`, {}, false);
    const basebackupFile = join(postgresOwnedDir('bench-basebackup-'), 'base.tar.lz4');
    const verifyDir = postgresOwnedDir('bench-verify-');
    const runs: Record<string, Measured[]> = {};
    const take = async (name: string, run: () => Promise<Measured>): Promise<Measured> => {
      const m = await run();
      (runs[name] ??= []).push(m);
      return m;
    };
    for (let round = 1; round <= rounds; round++) {
      process.stderr.write(`scale ${scale}: round ${round} of ${rounds}\n`);
      await take('limit', () => measure(`tar -cf - -C ${data} --exclude=./pg_wal/* . | lz4 -1 -q > /dev/null`, {}, false));
      await take('basebackup', () => measure(`${PG_BIN_DIRS['15']}/pg_basebackup -h ${conn.host} -p ${conn.port} -U postgres -D - -Ft -X none -c fast | lz4 -1 -q > ${basebackupFile}`));
      writeFileSync(restConf, restConfText(data));
      await take('pgbackrest', () => measure(`pgbackrest --config=${restConf} --stanza=bench --type=full backup`));
      await take('push', () => measure(`'${node}' '${PGWARD_BIN}' backup-push ${data} --config ${config} --fast-checkpoint`, { PGUSER: 'postgres' }));
      const pgwardTarget = join(postgresOwnedDir('bench-restore-pgward-'), 'data');
      await take('fetch', () => measure(`'${node}' '${PGWARD_BIN}' backup-fetch ${pgwardTarget} LATEST --config ${config}`));
      rmSync(join(pgwardTarget, '..'), { recursive: true, force: true });
      const restTarget = join(postgresOwnedDir('bench-restore-pgbackrest-'), 'data');
      mkdirSync(restTarget, { mode: 0o700 });
      chownSync(restTarget, user.uid, user.gid);
      writeFileSync(restConf, restConfText(restTarget));
      await take('pgbackrestRestore', () => measure(`pgbackrest --config=${restConf} --stanza=bench restore`));
      rmSync(join(restTarget, '..'), { recursive: true, force: true });
      // The same backup backup-fetch just restored, proven at both levels (no-amcheck: pg_amcheck's
      // time is the cluster's size in indexes, not pgward's; it is reported separately by the record).
      await take('verifyFiles', () => measure(`'${node}' '${PGWARD_BIN}' backup-verify LATEST --level files --config ${config}`, { PGWARD_VERIFY_DIR: verifyDir }));
      await take('verifyRestore', () => measure(`'${node}' '${PGWARD_BIN}' backup-verify LATEST --no-amcheck --json --config ${config}`, { PGWARD_VERIFY_DIR: verifyDir }));
    }
    const [limit, basebackup, pgbackrest, pgwardPush, pgwardFetch, pgbackrestRestore, verifyFiles, verifyRestore] = ['limit', 'basebackup', 'pgbackrest', 'push', 'fetch', 'pgbackrestRestore', 'verifyFiles', 'verifyRestore'].map((name) => median(runs[name]!)) as [Measured, Measured, Measured, Measured, Measured, Measured, Measured, Measured];
    const record = JSON.parse(verifyRestore.stdout) as { restoreSeconds: number; recoverySeconds: number; checks: Array<{ name: string; seconds: number }> };
    const partitionsCheck = record.checks.find((c) => c.name === 'partitions')?.seconds ?? 0;

    const payload = Number((await execa('du', ['-sb', '--exclude=pg_wal', data])).stdout.split('\t')[0]);
    const mbps = (m: Measured) => payload / 1e6 / m.seconds;
    const row = (name: string, m: Measured) =>
      `${name.padEnd(34)} ${m.seconds.toFixed(2).padStart(7)} s ${mbps(m).toFixed(0).padStart(6)} MB/s ${(mbps(m) / mbps(limit)).toFixed(2).padStart(6)}x limit ${m.rssMb.toFixed(0).padStart(6)} MB RSS`;
    return [
      `scale ${scale}: payload ${(payload / 1e9).toFixed(2)} GB (data directory without pg_wal), page cache warm`,
      row('tar | lz4 -1 > /dev/null (limit)', limit),
      row('pg_basebackup -Ft | lz4 -1', basebackup),
      row('pgbackrest backup (process-max=2)', pgbackrest),
      row('pgward backup-push', pgwardPush),
      `pgward backup-push vs pgbackrest: ${(pgbackrest.seconds / pgwardPush.seconds).toFixed(2)}x`,
      row('pgbackrest restore (process-max=2)', pgbackrestRestore),
      row('pgward backup-fetch', pgwardFetch),
      `pgward backup-fetch vs pgbackrest restore: ${(pgbackrestRestore.seconds / pgwardFetch.seconds).toFixed(2)}x`,
      row('pgward backup-verify --level files', verifyFiles),
      row('pgward backup-verify (restore level)', verifyRestore),
      `  of which: partitions re-read ${partitionsCheck.toFixed(1)} s, restore ${record.restoreSeconds} s, recovery ${record.recoverySeconds} s, the rest ${(verifyRestore.seconds - partitionsCheck - record.restoreSeconds - record.recoverySeconds).toFixed(1)} s (start-up, checks, removal)`,
      `pgward backup-verify (restore level) vs backup-fetch: ${(verifyRestore.seconds / pgwardFetch.seconds).toFixed(2)}x the time`,
      `medians of ${rounds} interleaved round(s)`,
    ];
  } finally {
    await cluster.destroy();
  }
}

await claimScriptRoot();
const report: string[] = [];
try {
  for (const scale of scales.length ? scales : [100]) {
    report.push(...(await runScale(scale)), '');
    await removeRunRoot(TEST_ROOT);
    await claimScriptRoot();
  }
} finally {
  await removeRunRoot(TEST_ROOT);
}
process.stdout.write(`${report.join('\n')}\n`);

// backup-verify leaves nothing behind (issue 10): SIGTERM during the restore and during recovery ends
// it with exit 11, no server running and no scratch left; a run killed outright leaves both, and the
// next run stops that server and removes its scratch; a scratch file system too small for the backup
// is refused before anything is restored. Started as root, the scratch server runs as postgres.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { archiveSettings, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { runPgward, stderrJson } from '../harness/cli.js';
import { osUser } from '../harness/os-user.js';
import { PGWARD_BIN, PG_BIN_DIRS, TEST_ROOT } from '../harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { runVerify, scratchEntries, serversUnder, verifyEnv } from '../harness/verify.js';

let cluster: TestCluster;
let configFile: string;
let backup: string;

function startVerify(args: string[], env: Record<string, string>): ResultPromise {
  return execa(process.execPath, [PGWARD_BIN, 'backup-verify', backup, '--config', configFile, ...args], {
    reject: false,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/tmp', LANG: 'C', ...env },
    extendEnv: false,
    timeout: 90_000,
  });
}

async function until<T>(what: string, probe: () => T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  const repo = join(postgresOwnedDir('verify-cleanup-repo-'), 'repo');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_BACKUP_WAL_TIMEOUT: '60', PGWARD_PARTITION_SIZE_MB: '4' });
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  const conn = cluster.connection();
  await execa(join(PG_BIN_DIRS['15']!, 'pgbench'), ['-h', conn.host, '-p', String(conn.port), '-U', 'postgres', '-i', '-s', '4', '-q', 'postgres']);
  const pushed = await runPgward(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint'], { env: { PGUSER: 'postgres' } });
  if (pushed.exitCode !== 0) throw new Error(pushed.stderr);
  backup = pushed.stdout.trim();
  // WAL after the backup, so that --to-end recovery takes a while: one wal-fetch per segment.
  for (let i = 0; i < 12; i++) await switchWal(cluster);
  await waitArchived(cluster, await switchWal(cluster));
}, 180_000);

afterAll(async () => {
  await cluster?.destroy();
});

describe('backup-verify cleans up', () => {
  test('SIGTERM during the restore: exit 11, no server, no scratch', async () => {
    const env = verifyEnv(join(TEST_ROOT, 'verify-term-restore'));
    const base = env.PGWARD_VERIFY_DIR!;
    const run = startVerify(['--log-format', 'json'], env);
    let seen = '';
    run.stderr!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    await until('the restore to start', () => (/"phase":"restoring"/.test(seen) ? true : undefined));
    run.kill('SIGTERM');
    const result = await run;
    expect({ exitCode: result.exitCode, tail: result.exitCode === 11 ? '' : seen.slice(-2000) }).toEqual({ exitCode: 11, tail: '' });
    expect(String(result.stderr)).toMatch(/stopped by a signal/);
    expect(serversUnder(base)).toEqual([]);
    expect(scratchEntries(base)).toEqual([]);
  }, 120_000);

  test('SIGTERM during recovery: exit 11, no server, no scratch; the server ran as postgres, never root', async () => {
    const env = verifyEnv(join(TEST_ROOT, 'verify-term-recovery'));
    const base = env.PGWARD_VERIFY_DIR!;
    const run = startVerify(['--to-end'], env);
    const servers = await until('the scratch server', () => {
      const found = serversUnder(base);
      return found.length ? found : undefined;
    });
    expect(process.getuid!()).toBe(0);
    expect(servers.map((s) => s.uid)).toEqual(servers.map(() => osUser('postgres').uid));
    run.kill('SIGTERM');
    const result = await run;
    expect({ exitCode: result.exitCode, stderr: result.exitCode === 11 ? '' : result.stderr }).toEqual({ exitCode: 11, stderr: '' });
    expect(serversUnder(base)).toEqual([]);
    expect(scratchEntries(base)).toEqual([]);
  }, 120_000);

  test('a run killed outright leaves its server and scratch; the next run stops and removes them, then verifies', async () => {
    const env = verifyEnv(join(TEST_ROOT, 'verify-killed'));
    const base = env.PGWARD_VERIFY_DIR!;
    const run = startVerify(['--to-end'], env);
    await until('the scratch server', () => (serversUnder(base).length ? true : undefined));
    run.kill('SIGKILL');
    await run;
    const left = scratchEntries(base);
    expect(left.length).toBe(1);
    const result = await runVerify(configFile, [backup, '--json'], env);
    expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? '' : result.stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(stderrJson(result).find((l) => l.scratch === join(base, left[0]!))).toBeDefined();
    expect(serversUnder(base)).toEqual([]);
    expect(scratchEntries(base)).toEqual([]);
  }, 150_000);

  test('a scratch file system too small for the backup is refused before restoring (exit 10, with a hint)', async () => {
    const mount = join(TEST_ROOT, 'verify-tmpfs');
    mkdirSync(mount, { recursive: true });
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mount]);
    try {
      const result = await runVerify(configFile, [backup], verifyEnv(mount));
      expect(result.exitCode).toBe(10);
      expect(result.stderr).toMatch(new RegExp(`the scratch directory ${mount} has .* free, the verification needs`));
      expect(result.stderr).toMatch(/HINT: .*PGWARD_VERIFY_DIR/);
      expect(readdirSync(mount)).toEqual([]);
    } finally {
      await execa('umount', [mount]);
    }
    expect(existsSync(mount)).toBe(true);
  }, 60_000);
});

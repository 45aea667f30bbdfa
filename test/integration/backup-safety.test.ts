// The guarantees around backup-push and backup-fetch: the story's guard (PGPORT at another cluster:
// exit 3, nothing written), progress on stderr, SIGTERM and SIGKILL mid-stream leaving nothing that
// lists as complete, and a corrupted partition failing the restore with exit 8.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { archiveSettings, writePgwardConfig } from '../harness/archiving.js';
import { runPgward, listBackupsJson } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { PG_BIN_DIRS, PGWARD_BIN } from '../harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let big: TestCluster;
let other: TestCluster;
let repo: string;
let configFile: string;

function listRepo(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path);
      else out.push(path);
    }
  };
  walk('');
  return out.sort();
}

beforeAll(async () => {
  repo = join(postgresOwnedDir('safety-repo-'), 'repo');
  // gzip is slower than lz4: streaming lasts long enough here to see progress and to be interrupted.
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_COMPRESSION: 'gzip', PGWARD_PROGRESS_INTERVAL: '1', PGWARD_PARTITION_SIZE_MB: '64' });
  [big, other] = await Promise.all([createCluster({ version: '15', extraConfig: archiveSettings(configFile) }), createCluster({ version: '17' })]);
  const conn = big.connection();
  // A few hundred MB of data.
  await execa(join(PG_BIN_DIRS['15']!, 'pgbench'), ['-h', conn.host, '-p', String(conn.port), '-U', 'postgres', '-i', '-s', '20', '-q', 'postgres']);
}, 180_000);

afterAll(async () => {
  await Promise.all([big?.destroy(), other?.destroy()]);
});

describe('the story: PGPORT pointed at another cluster', () => {
  test('backup-push exits 3 before any object is written', async () => {
    // The cluster's own archiver may still be archiving WAL here: compare the backup objects.
    const backups = () => listRepo(repo).filter((key) => !key.startsWith('wal_005/'));
    const before = backups();
    const result = await runPgward(['backup-push', big.dataDirectory, '--config', configFile], { env: { PGUSER: 'postgres', PGPORT: String(other.port) } });
    expectCleanError(result, 3, new RegExp(`port ${other.port} \\(environment PGPORT\\) disagrees with postmaster.pid`));
    expect(backups()).toEqual(before);
  });
});

describe('progress and interruption', () => {
  function start(extraEnv: Record<string, string> = {}) {
    const child = spawn(process.execPath, [PGWARD_BIN, 'backup-push', big.dataDirectory, '--config', configFile, '--fast-checkpoint'], {
      env: { PATH: process.env.PATH ?? '', HOME: '/tmp', PGUSER: 'postgres', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = Date.now();
    const lines: Array<{ at: number; entry: Record<string, unknown> }> = [];
    let buffer = '';
    child.stderr.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      for (const line of parts) if (line.startsWith('{')) lines.push({ at: Date.now() - started, entry: JSON.parse(line) as Record<string, unknown> });
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const waitFor = async (predicate: (e: Record<string, unknown>) => boolean, ms: number) => {
      const until = Date.now() + ms;
      while (!lines.some((l) => predicate(l.entry))) {
        if (Date.now() > until) throw new Error(`no such log line; got ${JSON.stringify(lines.map((l) => l.entry.msg))}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    return { child, lines, exited, waitFor };
  }
  const streamingProgress = (e: Record<string, unknown>) => e.phase === 'streaming' && typeof e.bytesDone === 'number' && (e.percent as number) < 100;

  test('the identity line comes within 1 s, then progress lines with bytes, total and rate', async () => {
    const run = start();
    expect(await run.exited).toBe(0);
    expect(run.lines[0]!.at).toBeLessThan(1000);
    expect(run.lines[0]!.entry).toMatchObject({ dataDirectory: big.dataDirectory, port: big.port, pgMajor: '15' });
    const progress = run.lines.map((l) => l.entry).filter(streamingProgress);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]).toMatchObject({ bytesDone: expect.any(Number), bytesTotal: expect.any(Number), rateBytesPerSecond: expect.any(Number), etaSeconds: expect.any(Number), partition: expect.any(Number) });
    expect((progress[0]!.bytesTotal as number) > 200 * 1024 * 1024).toBe(true);
  }, 120_000);

  test('SIGTERM mid-stream: exit 11, the backup is ended on the server, nothing lists as complete', async () => {
    const before = (await listBackupsJson(configFile)).length;
    const run = start();
    await run.waitFor(streamingProgress, 60_000);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(11);
    const after = await listBackupsJson(configFile, true);
    // Objects already stored may show as INCOMPLETE with --all (on the filesystem a partition only
    // appears once whole); none may count as complete.
    expect(after.filter((b) => b.complete).length).toBe(before);
    // Ended by pgward itself: PostgreSQL did not have to abort it for a vanished session.
    expect(readFileSync(big.logFile, 'utf8')).not.toMatch(/aborting backup due to backend exiting/);
  }, 120_000);

  test('SIGKILL mid-stream: nothing lists as complete, and the next run succeeds', async () => {
    const before = (await listBackupsJson(configFile)).length;
    const run = start();
    await run.waitFor(streamingProgress, 60_000);
    run.child.kill('SIGKILL');
    await run.exited;
    const listed = await listBackupsJson(configFile);
    expect(listed.length).toBe(before);
    const next = await runPgward(['backup-push', big.dataDirectory, '--config', configFile, '--fast-checkpoint'], { env: { PGUSER: 'postgres' } });
    expect(next.exitCode).toBe(0);
    expect((await listBackupsJson(configFile)).length).toBe(before + 1);
  }, 180_000);
});

describe('a partition corrupted in storage', () => {
  test('backup-fetch fails with exit 8 naming the object', async () => {
    const name = (await listBackupsJson(configFile)).at(-1)!.name;
    const partition = join(repo, 'basebackups_005', name, 'tar_partitions', 'part_00000001.tar.gz');
    const bytes = readFileSync(partition);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(partition, bytes);
    const target = join(postgresOwnedDir('corrupt-'), 'data');
    const result = await runPgward(['backup-fetch', target, name, '--config', configFile]);
    expectCleanError(result, 8, new RegExp(`basebackups_005/${name}/tar_partitions/part_00000001\\.tar\\.gz`));
  }, 60_000);

  test('a non-empty target is refused with exit 10', async () => {
    const result = await runPgward(['backup-fetch', big.dataDirectory, 'LATEST', '--config', configFile]);
    expectCleanError(result, 10, /belongs to a running server|is not empty/);
  });
});

// PostgreSQL stopping under a running backup (issue 8, PostgreSQL errors through one helper): an
// immediate shutdown mid-stream must end backup-push with exit 9 and a hint that says the server
// stopped (not the hint about backup privileges), promptly, with nothing listed as complete.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { execa } from 'execa';
import { archiveSettings, writePgwardConfig } from '../harness/archiving.js';
import { listBackupsJson } from '../harness/cli.js';
import { PG_BIN_DIRS, PGWARD_BIN } from '../harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let cluster: TestCluster;
let configFile: string;

beforeAll(async () => {
  // gzip and a few hundred MB keep the copy streaming long enough to stop the server under it.
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${join(postgresOwnedDir('stops-repo-'), 'repo')}`, PGWARD_COMPRESSION: 'gzip', PGWARD_PROGRESS_INTERVAL: '1' });
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  const conn = cluster.connection();
  await execa(join(PG_BIN_DIRS['15']!, 'pgbench'), ['-h', conn.host, '-p', String(conn.port), '-U', 'postgres', '-i', '-s', '10', '-q', 'postgres']);
}, 120_000);

afterAll(async () => {
  await cluster?.destroy();
});

describe('the server stops during a backup', () => {
  test('immediate shutdown mid-stream: exit 9, the server-stopped hint, nothing complete', async () => {
    const child = spawn(process.execPath, [PGWARD_BIN, 'backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint'], {
      env: { PATH: process.env.PATH ?? '', HOME: '/tmp', PGUSER: 'postgres' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const until = Date.now() + 60_000;
    while (!/"phase":"streaming"[^\n]*"bytesDone"/.test(stderr)) {
      if (Date.now() > until) throw new Error(`no streaming progress: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // SIGQUIT to the postmaster: immediate shutdown, every backend ends at once.
    process.kill(cluster.pid!, 'SIGQUIT');
    const stoppedAt = Date.now();
    // Promptly: the copy stops when the connection goes, not after copying everything.
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('still running 30 s after the server stopped'), 30_000))]);
    if (typeof code === 'string') child.kill('SIGKILL');
    expect(code).toBe(9);
    expect(Date.now() - stoppedAt).toBeLessThan(10_000);
    const lines = stderr.trim().split('\n');
    const errorLines = lines.filter((l) => l.startsWith('pgward: ERROR: '));
    expect(errorLines).toHaveLength(1);
    expect(stderr).toMatch(/^HINT: the server stopped during the backup; start it and run backup-push again$/m);
    expect(stderr).not.toMatch(/privilege|EXECUTE on/);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect((await listBackupsJson(configFile, true)).filter((b) => b.complete)).toEqual([]);
  }, 120_000);
});

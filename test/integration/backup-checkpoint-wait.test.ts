// A spread checkpoint (no --fast-checkpoint) can take minutes (issue 8, "running it the way DBAs do"):
// backup-push says it is still waiting every progress interval, and the summary's duration covers
// the whole command (checkpoint and WAL waits included), not only the streaming.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { execa } from 'execa';
import { archiveSettings, writePgwardConfig } from '../harness/archiving.js';
import { listBackupsJson, runPgward, stderrJson } from '../harness/cli.js';
import { PG_BIN_DIRS } from '../harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let cluster: TestCluster;
let configFile: string;

beforeAll(async () => {
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${join(postgresOwnedDir('ckpt-repo-'), 'repo')}`, PGWARD_PROGRESS_INTERVAL: '1' });
  // A checkpoint spread over 0.3 x 30 s: with thousands of dirty buffers it takes about 9 s.
  cluster = await createCluster({ version: '15', extraConfig: { ...archiveSettings(configFile), checkpoint_timeout: '30s', checkpoint_completion_target: '0.3' } });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

describe('the spread checkpoint wait', () => {
  test('heartbeats while waiting, and a duration from the command start', async () => {
    const conn = cluster.connection();
    // Fresh data, left dirty in shared buffers for the backup's checkpoint to write.
    await execa(join(PG_BIN_DIRS['15']!, 'pgbench'), ['-h', conn.host, '-p', String(conn.port), '-U', 'postgres', '-i', '-s', '2', '-q', 'postgres']);
    // pgbench loads through a bulk-write ring that writes its own pages; an UPDATE leaves them dirty.
    await cluster.query('UPDATE pgbench_accounts SET abalance = abalance + 1');
    const result = await runPgward(['backup-push', cluster.dataDirectory, '--config', configFile, '--json'], { env: { PGUSER: 'postgres' } });
    expect(result.exitCode).toBe(0);
    const logs = stderrJson(result);
    const heartbeats = logs.filter((e) => e.phase === 'checkpoint' && /^still waiting for the checkpoint, \d+ s$/.test(String(e.msg)));
    expect(heartbeats.length).toBeGreaterThanOrEqual(2);
    const first = logs[0]!.time as number;
    const started = logs.find((e) => e.phase === 'started')!.time as number;
    const complete = logs.find((e) => e.phase === 'complete')!;
    expect(started - first).toBeGreaterThan(2000);
    expect(heartbeats.at(-1)!.seconds).toBeGreaterThanOrEqual(2);
    // The whole command: from its first line to the summary, checkpoint wait included.
    expect((complete.durationSeconds as number) * 1000).toBeGreaterThanOrEqual((complete.time as number) - first - 500);
    const sentinel = JSON.parse(result.stdout) as { durationSeconds: number; name: string };
    expect(sentinel.durationSeconds).toBe(complete.durationSeconds);
    expect((await listBackupsJson(configFile)).map((b) => b.name)).toEqual([sentinel.name]);
  }, 120_000);
});

// backup-push while the proxy disturbs one S3 request in five (errors, SlowDown, dropped connections,
// delays), trial after trial, with pgbench changing the data in between. Every attempt must either
// fail with a non-zero, non-70 status and leave no new backup that lists as complete, or succeed with
// a backup that restores (backup-fetch, then recovery through wal-fetch) to exactly the data it was
// taken from.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { listBackupsJson } from '../harness/cli.js';
import { createScenario, type Scenario } from '../harness/backup-scenario.js';
import { writePgwardConfig } from '../harness/archiving.js';
import { startS3FaultProxy, type S3FaultProxy } from '../harness/s3-fault-proxy.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';
import { exit70InServerLog, ORDINARY_FAULTS, probeSeed, runBounded, summary } from './probe.js';

const seed = probeSeed();
const TRIALS = 5;
// A backup of this small cluster takes seconds; three minutes without an end is a hang.
const BACKUP_BOUND_MS = 180_000;
let s3: TestS3Server;
let proxy: S3FaultProxy;
let scenario: Scenario;
let directConfig: string;

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('backupfaults');
  proxy = await startS3FaultProxy(s3.endpoint, { seed });
  const direct = s3.env('backupfaults', 'pg15');
  directConfig = writePgwardConfig(direct);
  scenario = await createScenario('15', { ...proxy.env(direct), PGWARD_STORAGE_RETRIES: '3', PGWARD_STORAGE_TIMEOUT: '10', PGWARD_NO_DAEMON: 'true' });
  await scenario.archiveAll();
}, 120_000);

afterAll(async () => {
  const bugs = scenario ? exit70InServerLog(scenario.cluster.logFile) : [];
  if (bugs.length > 0) process.stderr.write(`archive_command exited 70 (seed ${seed}):\n${bugs.join('\n---\n')}\n`);
  try {
    await scenario?.destroy();
  } finally {
    await proxy?.close();
    await s3?.stop();
  }
});

test(`backup-push under a 20% fault rate, ${TRIALS} trials: each fails leaving nothing complete, or restores to equal data`, async () => {
  const figures = { trials: 0, 'faults injected': 0, failed: 0, 'failed leaving a complete backup': 0, 'complete backups': 0, 'complete-looking unrestorable': 0, 'restored different data': 0, 'hangs past bound': 0, 'exit 70:': 0 };
  const stories: string[] = [];
  for (let trial = 1; trial <= TRIALS; trial++) {
    await scenario.pgbench(['-c', '2', '-t', '200']);
    const expected = await scenario.checksums(scenario.cluster);
    const before = new Set((await listBackupsJson(directConfig, true)).filter((b) => b.complete).map((b) => b.name));
    const injectedBefore = proxy.injected().length;
    // The ordinary faults, and answers cut short or reset inside their bodies.
    proxy.addRule({ rate: 0.2, fault: [...ORDINARY_FAULTS, { kind: 'truncate' }, { kind: 'reset-response' }] });
    const run = await runBounded(['backup-push', scenario.cluster.dataDirectory, '--config', scenario.configFile, '--fast-checkpoint'], BACKUP_BOUND_MS, { PGUSER: 'postgres' });
    proxy.clearRules();
    figures.trials++;
    figures['faults injected'] += proxy.injected().length - injectedBefore;
    if (run.hung) figures['hangs past bound']++;
    if (run.exitCode === 70) figures['exit 70:']++;
    const added = (await listBackupsJson(directConfig, true)).filter((b) => b.complete && !before.has(b.name)).map((b) => b.name);
    const lastError = run.stderr.split('\n').find((line) => line.startsWith('pgward: ERROR:')) ?? '';
    stories.push(`trial ${trial}: exit ${run.exitCode} in ${run.ms} ms, new complete ${JSON.stringify(added)} ${lastError}`);
    if (run.exitCode !== 0) {
      figures.failed++;
      if (added.length > 0) figures['failed leaving a complete backup']++;
      continue;
    }
    figures['complete backups']++;
    if (added.length !== 1) {
      figures['complete-looking unrestorable']++;
      continue;
    }
    try {
      const copy = await scenario.restore(added[0]!);
      const restored = await scenario.checksums(copy);
      await copy.destroy();
      if (JSON.stringify(restored) !== JSON.stringify(expected)) figures['restored different data']++;
    } catch (err) {
      figures['complete-looking unrestorable']++;
      stories.push(`  restore of ${added[0]} failed: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  const line = summary('backup-push', seed, figures);
  const message = `${line}\n${stories.join('\n')}`;
  expect({ message, bad: figures['failed leaving a complete backup'] + figures['complete-looking unrestorable'] + figures['restored different data'] + figures['hangs past bound'] + figures['exit 70:'] }).toEqual({ message, bad: 0 });
  expect(figures['faults injected']).toBeGreaterThan(0);
}, 600_000);

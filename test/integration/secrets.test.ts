// A secret key never appears in any output: not in logs at trace level, not in --debug stack traces,
// not in errors from a failing S3 endpoint, not in --json documents.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { archiveSettings, writePgwardConfig } from '../harness/archiving.js';
import { runPgward, type CliResult } from '../harness/cli.js';
import { createCluster, type TestCluster } from '../harness/postgres.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

const SECRET = 'pgwardTestSecret0123456789abcdefXYZ';
const PASSWORD = 'pgwardTestPassword987';
let cluster: TestCluster;
let s3: TestS3Server;

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('secrets');
  // check proves archiving into the repository it checks: the cluster archives there.
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(writePgwardConfig(s3.env('secrets', 'p'))) });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
  await s3?.stop();
});

function expectNoSecret(result: CliResult): void {
  const output = result.stdout + result.stderr;
  expect(output).not.toContain(SECRET);
  expect(output).not.toContain(PASSWORD);
}

describe('secrets never reach any output', () => {
  const env = () => ({ ...s3.env('secrets', 'p'), AWS_SECRET_ACCESS_KEY: SECRET, PGPASSWORD: PASSWORD, PGUSER: 'postgres' });

  test('a successful check at trace level with --debug', async () => {
    const result = await runPgward(['check', cluster.dataDirectory, '--debug', '--log-level', 'trace'], { env: env() });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('settings resolved');
    expect(result.stderr).toContain('[redacted]');
    expectNoSecret(result);
  });

  test('a failing S3 endpoint with --debug stack traces', async () => {
    const result = await runPgward(['check', cluster.dataDirectory, '--debug', '--log-level', 'trace'], {
      env: { ...env(), PGWARD_S3_ENDPOINT: 'http://127.0.0.1:1', PGWARD_STORAGE_RETRIES: '0' },
    });
    expect(result.exitCode).toBe(6);
    expect(result.stderr).toContain('caused by');
    expectNoSecret(result);
  });

  test('--json output and errors', async () => {
    const ok = await runPgward(['repo-info', '--json', '--debug'], { env: env() });
    expect(ok.exitCode).toBe(0);
    expectNoSecret(ok);
    const failed = await runPgward(['repo-info', '--json', '--debug'], { env: { ...env(), PGWARD_S3_ENDPOINT: 'http://127.0.0.1:1', PGWARD_STORAGE_RETRIES: '0' } });
    expect(failed.exitCode).toBe(6);
    expectNoSecret(failed);
  });

  test('a secret given on an envdir or config file is just as hidden', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { TEST_ROOT } = await import('../harness/paths.js');
    const dir = mkdtempSync(join(TEST_ROOT, 'secret-envdir-'));
    writeFileSync(join(dir, 'AWS_SECRET_ACCESS_KEY'), `${SECRET}\n`);
    const { AWS_SECRET_ACCESS_KEY: _omit, ...rest } = env();
    const result = await runPgward(['check', cluster.dataDirectory, '--envdir', dir, '--debug', '--log-level', 'trace'], { env: rest });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain(`[redacted] (envdir ${dir}: AWS_SECRET_ACCESS_KEY)`);
    expectNoSecret(result);
  });
});

// A multipart upload whose part fails is aborted (its parts would otherwise stay stored and billed),
// and the command reports the part's failure as a storage error (6), not the abort's answer: s3rver
// rejects AbortMultipartUpload with 405, the way some S3-compatible stores do, and pgward must still
// say what really went wrong and warn that the upload was left behind. A fault proxy sits between
// pgward and s3rver; the proxy records the abort request and injects the part failure.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { archiveSettings, writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { createCluster, type TestCluster } from '../harness/postgres.js';
import { startS3FaultProxy, type S3FaultProxy } from '../harness/s3-fault-proxy.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

let s3: TestS3Server;
let proxy: S3FaultProxy;
let cluster: TestCluster;
let configFile: string;

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('mpu');
  proxy = await startS3FaultProxy(s3.endpoint, { seed: 8 });
  // No compression and 5 MiB parts: the first partition of a fresh cluster is a multipart upload.
  configFile = writePgwardConfig({ ...proxy.env(s3.env('mpu', 'pg15')), PGWARD_COMPRESSION: 'none', PGWARD_S3_PART_SIZE_MB: '5', PGWARD_NO_DAEMON: 'true' });
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
  await proxy?.close();
  await s3?.stop();
});

test('a failing UploadPart: the upload is aborted, exit 6 names the part failure and warns about the leftover', async () => {
  proxy.addRule({ operation: 'UploadPart', key: /tar_partitions\//, fault: { kind: 'status', status: 500 } });
  const result = await runPgward(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint'], { env: { PGUSER: 'postgres' } });
  expectCleanError(result, 6, /InternalError/);
  expect(result.stderr).not.toMatch(/MethodNotAllowed.*\n?.*HINT/);
  expect(result.stderr.split('\n').find((line) => line.startsWith('pgward: ERROR:'))).not.toMatch(/MethodNotAllowed/);
  const created = proxy.seen('CreateMultipartUpload').filter((r) => r.key?.includes('tar_partitions/'));
  expect(created.length).toBeGreaterThan(0);
  const aborts = proxy.seen('AbortMultipartUpload');
  expect(aborts.length).toBeGreaterThan(0);
  expect(aborts[0]!.method).toBe('DELETE');
  expect(aborts[0]!.query.uploadId).toBeTruthy();
  expect(aborts[0]!.key).toBe(created[0]!.key);
  // s3rver refused the abort: the hint says the upload was left behind.
  expect(aborts[0]!.status).toBe(405);
  expect(result.stderr).toMatch(/HINT: .*could not be aborted \(MethodNotAllowed\)/);
});

test('when the store accepts the abort, nothing is said about leftovers', async () => {
  proxy.clearRules();
  proxy.requests.length = 0;
  proxy.addRule({ operation: 'UploadPart', key: /tar_partitions\//, fault: { kind: 'status', status: 503 } });
  proxy.addRule({ operation: 'AbortMultipartUpload', fault: { kind: 'respond', status: 204 } });
  const result = await runPgward(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint'], { env: { PGUSER: 'postgres' } });
  expectCleanError(result, 6, /SlowDown|503/);
  expect(proxy.seen('AbortMultipartUpload').map((r) => r.status)).toContain(204);
  expect(result.stderr).not.toMatch(/could not be aborted/);
});

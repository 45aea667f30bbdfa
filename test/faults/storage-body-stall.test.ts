// A response body that stalls or trickles after its headers is bounded (issue 9, storage item 2):
// the SDK's request timeout ends when the headers arrive, and before this a stalled body hung check,
// backup-fetch and wal-fetch for minutes. Through the fault proxy in front of a real s3rver: reads end
// with a StorageError within the low-speed window (PGWARD_STORAGE_TIMEOUT, at most 10 s), a reader
// that is itself slow is not mistaken for a stalled store, and wal-fetch ends within its retry budget.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { chownSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { repositoryConfig } from '../../src/config/repository.js';
import { Settings } from '../../src/config/settings.js';
import { StorageError } from '../../src/errors/errors.js';
import { S3Storage } from '../../src/storage/s3.js';
import { readAll } from '../../src/storage/storage.js';
import { switchWal, writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { osUser } from '../harness/os-user.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { startS3FaultProxy, type S3FaultProxy } from '../harness/s3-fault-proxy.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

const BUCKET = 'stall';
const TIMEOUT_S = 2;
let s3: TestS3Server;
let proxy: S3FaultProxy;
let storage: S3Storage;
const small = randomBytes(256 * 1024);
const large = randomBytes(6 * 1024 * 1024);

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket(BUCKET);
  proxy = await startS3FaultProxy(s3.endpoint, { seed: 2 });
  const env = { ...proxy.env(s3.env(BUCKET, 'objects')), PGWARD_STORAGE_TIMEOUT: String(TIMEOUT_S), PGWARD_STORAGE_RETRIES: '1' };
  storage = new S3Storage(repositoryConfig(new Settings({ flags: {}, env })).s3!);
  await storage.put('small', small);
  await storage.put('large', large);
}, 30_000);

afterAll(async () => {
  storage?.close();
  await proxy?.close();
  await s3?.stop();
});


async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; error?: unknown; value?: T }> {
  const started = Date.now();
  try {
    const value = await run();
    return { ms: Date.now() - started, value };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

const readObject = async (key: string): Promise<Buffer> => readAll((await storage.get(key))!);

test('a body that stalls after its headers rejects with StorageError within two windows', async () => {
  const outcome = await proxy.withRule({ operation: 'GetObject', fault: { kind: 'stall-body', fraction: 0.5 } }, () => timed(() => readObject('small')));
  expect(outcome.error).toBeInstanceOf(StorageError);
  expect((outcome.error as StorageError).message).toMatch(/objects\/small/);
  expect(outcome.ms).toBeLessThan(2 * TIMEOUT_S * 1000 + 1500);
}, 30_000);

test('a body that trickles (500 bytes a second) rejects with StorageError within two windows', async () => {
  const outcome = await proxy.withRule({ operation: 'GetObject', fault: { kind: 'trickle', bytes: 100, everyMs: 200 } }, () => timed(() => readObject('small')));
  expect(outcome.error).toBeInstanceOf(StorageError);
  expect(outcome.ms).toBeLessThan(2 * TIMEOUT_S * 1000 + 1500);
}, 30_000);

test('a listing whose body stalls fails with StorageError after the SDK retries, not never', async () => {
  const outcome = await proxy.withRule({ operation: 'ListObjectsV2', fault: { kind: 'stall-body', fraction: 0.5 } }, () =>
    timed(async () => {
      for await (const _ of storage.list('')) void _;
    }),
  );
  expect(outcome.error).toBeInstanceOf(StorageError);
  // two attempts (PGWARD_STORAGE_RETRIES=1), each at most two windows
  expect(outcome.ms).toBeLessThan(4 * TIMEOUT_S * 1000 + 2000);
}, 30_000);

test('a reader slower than the window is not a stalled store', async () => {
  const stream = (await storage.get('large'))!;
  await new Promise((resolve) => setTimeout(resolve, 3 * TIMEOUT_S * 1000));
  expect((await readAll(stream)).equals(large)).toBe(true);
}, 30_000);

test('a body cut short of its Content-Length is a StorageError, not a short object', async () => {
  const outcome = await proxy.withRule({ operation: 'GetObject', fault: { kind: 'reset-response', fraction: 0.5 } }, () => timed(() => readObject('small')));
  expect(outcome.error).toBeInstanceOf(StorageError);
});

describe_walFetch();

function describe_walFetch(): void {
  let cluster: TestCluster;
  let config: string;
  let segment: string;
  beforeAll(async () => {
    cluster = await createCluster({ version: '15' });
    const user = osUser('postgres');
    const walDir = postgresOwnedDir('stall-wal-');
    segment = await switchWal(cluster);
    copyFileSync(join(cluster.dataDirectory, 'pg_wal', segment), join(walDir, segment));
    chownSync(join(walDir, segment), user.uid, user.gid);
    config = writePgwardConfig({ ...proxy.env(s3.env(BUCKET, 'wal')), PGWARD_STORAGE_TIMEOUT: String(TIMEOUT_S), PGWARD_STORAGE_RETRIES: '1', PGWARD_WAL_FETCH_RETRY: '4' });
    const pushed = await runPgward(['wal-push', join(walDir, segment), '--config', config], { cwd: cluster.dataDirectory, asUser: 'postgres' });
    expect(pushed.exitCode).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await cluster?.destroy();
  });

  test('wal-fetch of a segment whose body stalls ends within its retry budget with a storage error', async () => {
    const dest = join(postgresOwnedDir('stall-fetch-'), segment);
    const outcome = await proxy.withRule({ operation: 'GetObject', key: /wal_005\//, fault: { kind: 'stall-body', fraction: 0.3 } }, () =>
      timed(() => runPgward(['wal-fetch', segment, dest, '--config', config], { cwd: cluster.dataDirectory, asUser: 'postgres' })),
    );
    // Not in recovery: the failure's own code (a standby retries it; archive recovery would get 126).
    expectCleanError(outcome.value!, 6, /reading s3:\/\/stall\/wal\/wal_005\/.* failed: ETIMEDOUT/);
    // the 4 s budget, plus the attempt under way when it ran out (two windows, read twice), plus start-up
    expect(outcome.ms).toBeLessThan(4_000 + 4 * TIMEOUT_S * 1000 + 3_000);
  }, 90_000);
}

// wal-push under damaged transfers and damaged stored copies, on a real s3rver behind the fault
// proxy (issue 9, storage items 1, 3, 4). A byte flipped on its way to the store must never be
// acknowledged (exit 0); a cut-off copy the store kept must not stop archiving for good; a valid copy
// with other content is still never overwritten; ordinary S3 faults end in a storage error (6) or a
// retried success, never in exit 70 (runPgward throws on 70).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chownSync, copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { switchWal, writePgwardConfig } from '../harness/archiving.js';
import { runPgward, type CliResult } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { osUser } from '../harness/os-user.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { SLOW_DOWN, startS3FaultProxy, type FaultRule, type S3FaultProxy } from '../harness/s3-fault-proxy.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

const BUCKET = 'walint';
let s3: TestS3Server;
let proxy: S3FaultProxy;
let cluster: TestCluster;
let walDir: string;
const segments: string[] = [];

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket(BUCKET);
  proxy = await startS3FaultProxy(s3.endpoint, { seed: 9 });
  cluster = await createCluster({ version: '15' });
  // Copies outside pg_wal, so checkpoints cannot recycle them under the test.
  walDir = postgresOwnedDir('walint-');
  const user = osUser('postgres');
  for (let i = 0; i < 2; i++) {
    const name = await switchWal(cluster);
    copyFileSync(join(cluster.dataDirectory, 'pg_wal', name), join(walDir, name));
    chownSync(join(walDir, name), user.uid, user.gid);
    segments.push(name);
  }
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
  await proxy?.close();
  await s3?.stop();
});

/** A fresh prefix and config through the proxy, so every test has its own repository. */
function repository(): { prefix: string; config: string } {
  const prefix = `p-${randomBytes(4).toString('hex')}`;
  const config = writePgwardConfig({ ...proxy.env(s3.env(BUCKET, prefix)), PGWARD_STORAGE_TIMEOUT: '3', PGWARD_STORAGE_RETRIES: '1' });
  return { prefix, config };
}

function walPush(config: string, segment: string): Promise<CliResult> {
  return runPgward(['wal-push', join(walDir, segment), '--config', config], { cwd: cluster.dataDirectory, asUser: 'postgres' });
}

async function walFetch(config: string, segment: string): Promise<{ result: CliResult; bytes?: Buffer }> {
  const dest = join(postgresOwnedDir('walint-fetch-'), segment);
  const result = await runPgward(['wal-fetch', segment, dest, '--config', config], { cwd: cluster.dataDirectory, asUser: 'postgres' });
  return { result, ...(result.exitCode === 0 ? { bytes: readFileSync(dest) } : {}) };
}

async function stored(key: string): Promise<{ body: Buffer; metadata: Record<string, string> } | undefined> {
  const client = s3.client();
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return { body: Buffer.from(await out.Body!.transformToByteArray()), metadata: out.Metadata ?? {} };
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}

async function plant(key: string, body: Buffer, metadata: Record<string, string>): Promise<void> {
  const client = s3.client();
  try {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, Metadata: metadata }));
  } finally {
    client.destroy();
  }
}


describe('uploaded bytes are checked by the store', () => {
  test('a byte flipped in the PUT body is never acknowledged; the next push repairs the damaged copy', async () => {
    const { prefix, config } = repository();
    const [segment] = segments as [string];
    const failed = await proxy.withRule({ operation: 'PutObject', key: /wal_005\//, fault: { kind: 'flip-request' } }, () => walPush(config, segment));
    expect(proxy.injected('flip-request').length).toBeGreaterThan(0);
    expect(failed.exitCode).not.toBe(0);
    expectCleanError(failed, 6, /differ|BadDigest|other bytes/);

    // s3rver kept the damaged bytes (it does not verify Content-MD5): PostgreSQL's retry must get past them.
    const again = await walPush(config, segment);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toMatch(/damaged/);
    const fetched = await walFetch(config, segment);
    expect(fetched.result.exitCode).toBe(0);
    expect(fetched.bytes!.equals(readFileSync(join(walDir, segment)))).toBe(true);
    expect((await stored(`${prefix}/wal_005/${segment}.lz4`))?.metadata['pgward-sha256']).toBeDefined();
  }, 60_000);
});

describe('a damaged stored copy does not stop archiving', () => {
  test('a cut-off copy (the first half, with the metadata of a whole one) is replaced and the push succeeds', async () => {
    const { prefix, config } = repository();
    const [segment] = segments as [string];
    const key = `${prefix}/wal_005/${segment}.lz4`;
    expect((await walPush(config, segment)).exitCode).toBe(0);
    const whole = (await stored(key))!;
    await plant(key, whole.body.subarray(0, Math.floor(whole.body.length / 2)), whole.metadata);

    const pushed = await walPush(config, segment);
    expect(pushed.exitCode).toBe(0);
    expect(pushed.stderr).toMatch(/is damaged .*replacing it/);
    expect((await stored(key))!.body.equals(whole.body)).toBe(true);
    const fetched = await walFetch(config, segment);
    expect(fetched.bytes!.equals(readFileSync(join(walDir, segment)))).toBe(true);
  }, 60_000);

  test('a copy without metadata that does not decode is replaced too', async () => {
    const { prefix, config } = repository();
    const [segment] = segments as [string];
    expect((await walPush(config, segments[1]!)).exitCode).toBe(0);
    const key = `${prefix}/wal_005/${segment}.lz4`;
    await plant(key, randomBytes(1000), {});
    const pushed = await walPush(config, segment);
    expect(pushed.exitCode).toBe(0);
    const fetched = await walFetch(config, segment);
    expect(fetched.bytes!.equals(readFileSync(join(walDir, segment)))).toBe(true);
  }, 60_000);

  test('a valid copy with other content is never overwritten (exit 7)', async () => {
    const { prefix, config } = repository();
    const [first, second] = segments as [string, string];
    expect((await walPush(config, second)).exitCode).toBe(0);
    const other = (await stored(`${prefix}/wal_005/${second}.lz4`))!;
    const key = `${prefix}/wal_005/${first}.lz4`;
    await plant(key, other.body, other.metadata);
    const pushed = await walPush(config, first);
    expectCleanError(pushed, 7, /already archived .* with different content/);
    expect((await stored(key))!.body.equals(other.body)).toBe(true);
  }, 60_000);
});

describe('ordinary S3 faults never exit 70', () => {
  const once: Array<[string, FaultRule]> = [
    ['a truncated read of pgward.json', { operation: 'GetObject', key: /pgward\.json$/, nth: 1, fault: { kind: 'truncate' } }],
    ['a reset in the middle of pgward.json', { operation: 'GetObject', key: /pgward\.json$/, nth: 1, fault: { kind: 'reset-response' } }],
    ['a flipped byte in pgward.json', { operation: 'GetObject', key: /pgward\.json$/, nth: 1, fault: { kind: 'flip-response', } }],
    ['a malformed LIST answer', { operation: 'ListObjectsV2', nth: 1, fault: { kind: 'respond', status: 200, body: '<?xml version="1.0"?><ListBucketResult><Contents><Key>' } }],
    ['a truncated LIST answer', { operation: 'ListObjectsV2', nth: 1, fault: { kind: 'truncate', fraction: 0.3 } }],
    ['SlowDown on the PUT', { operation: 'PutObject', key: /wal_005\//, nth: 1, fault: SLOW_DOWN }],
    ['500 on the HEAD', { operation: 'HeadObject', nth: 1, fault: { kind: 'status', status: 500 } }],
  ];
  test.each(once)('%s once: the push is retried and succeeds', async (_name, rule) => {
    const { config } = repository();
    // The stamp exists first, so its reads are part of every push.
    expect((await walPush(config, segments[1]!)).exitCode).toBe(0);
    const before = proxy.injected().length;
    const pushed = await proxy.withRule(rule, () => walPush(config, segments[0]!));
    expect(proxy.injected().length - before).toBe(1);
    expect(pushed.exitCode).toBe(0);
    const fetched = await walFetch(config, segments[0]!);
    expect(fetched.bytes!.equals(readFileSync(join(walDir, segments[0]!)))).toBe(true);
  }, 60_000);

  const always: Array<[string, FaultRule]> = [
    ['SlowDown on every request', { fault: SLOW_DOWN }],
    ['500 on every GET', { operation: 'GetObject', fault: { kind: 'status', status: 500 } }],
    ['resets in every answer body', { operation: ['GetObject', 'ListObjectsV2'], fault: { kind: 'reset-response' } }],
    ['truncated LIST answers', { operation: 'ListObjectsV2', fault: { kind: 'truncate', fraction: 0.3 } }],
  ];
  test.each(always)('%s: a storage error (6) with a hint', async (_name, rule) => {
    const { config } = repository();
    expect((await walPush(config, segments[1]!)).exitCode).toBe(0);
    const pushed = await proxy.withRule(rule, () => walPush(config, segments[0]!));
    expectCleanError(pushed, 6, /(S3 .*|reading s3:.*) failed/);
  }, 60_000);
});

test('the store answers ETags as MD5s (what the check relies on where Content-MD5 is ignored)', async () => {
  const client = s3.client();
  try {
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'etag-probe', Body: Buffer.from('abc') }));
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'etag-probe' }));
    expect(head.ETag).toBe('"900150983cd24fb0d6963f7d28e17f72"');
  } finally {
    client.destroy();
  }
});

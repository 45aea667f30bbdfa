// One contract, two implementations: the filesystem storage and the S3 storage against a real S3
// HTTP server (s3rver). Bytes are compared, never just status codes: s3rver answers 200 to bodies it
// stored corrupted (aws-chunked framing) when checksums are misconfigured.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { repositoryConfig } from '../../src/config/repository.js';
import { Settings } from '../../src/config/settings.js';
import { StorageError } from '../../src/errors/errors.js';
import { FsStorage } from '../../src/storage/fs.js';
import { S3Storage } from '../../src/storage/s3.js';
import { getBuffer, readAll, type Storage } from '../../src/storage/storage.js';
import { TEST_ROOT } from '../harness/paths.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';
import { runningRgw } from '../harness/external-s3.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** A stream that yields `data` in uneven chunks, as a compressor would. */
function chunked(data: Buffer): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.length) return this.push(null);
      const size = 1 + Math.floor(Math.random() * 300_000);
      this.push(data.subarray(offset, offset + size));
      offset += size;
    },
  });
}

let s3: TestS3Server;
beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('contract');
}, 30_000);
afterAll(async () => {
  await s3?.stop();
});

const implementations: Array<[string, () => Storage]> = [
  ['filesystem', () => new FsStorage(mkdtempSync(join(TEST_ROOT, 'fs-contract-')))],
  [
    's3 (s3rver)',
    () => {
      const prefix = `run-${randomBytes(4).toString('hex')}`;
      const config = repositoryConfig(new Settings({ flags: {}, env: s3.env('contract', prefix) }));
      // Small pages so that listing provably follows continuation tokens.
      return new S3Storage({ ...config.s3!, listPageSize: 10, partSizeBytes: 5 * 1024 * 1024 });
    },
  ],
];

// The run's Ceph RADOS Gateway, when it started one (PGWARD_TEST_RGW=1, as in CI): a store that
// honours conditional writes and multipart rules, which s3rver does not.
const rgw = runningRgw();
const rgwBucket = `contract-${randomBytes(4).toString('hex')}`;
if (rgw) {
  beforeAll(() => rgw.createBucket(rgwBucket), 60_000);
  implementations.push([
    's3 (Ceph RGW)',
    () => {
      const config = repositoryConfig(new Settings({ flags: {}, env: rgw.env(rgwBucket, `run-${randomBytes(4).toString('hex')}`) }));
      return new S3Storage({ ...config.s3!, listPageSize: 10, partSizeBytes: 5 * 1024 * 1024 });
    },
  ]);
}

describe.each(implementations)('storage contract: %s', (_name, make) => {
  let storage: Storage;
  beforeAll(() => {
    storage = make();
  });
  afterAll(() => storage.close());

  test('buffer round trip with metadata', async () => {
    const body = randomBytes(1000);
    await storage.put('a/buffer.bin', body, { metadata: { 'raw-sha256': sha256(body) } });
    expect(await getBuffer(storage, 'a/buffer.bin')).toEqual(body);
    const info = await storage.head('a/buffer.bin');
    expect(info).toMatchObject({ key: 'a/buffer.bin', size: 1000, metadata: { 'raw-sha256': sha256(body) } });
  });

  test('small stream round trip is byte-exact (no aws-chunked framing stored)', async () => {
    const body = randomBytes(100_000);
    await storage.put('a/small-stream.bin', chunked(body));
    const back = await getBuffer(storage, 'a/small-stream.bin');
    expect(back?.length).toBe(body.length);
    expect(sha256(back!)).toBe(sha256(body));
  });

  test('multipart stream round trip is byte-exact (12 MiB over 5 MiB parts)', async () => {
    const body = randomBytes(12 * 1024 * 1024);
    await storage.put('a/large-stream.bin', chunked(body), { metadata: { kind: 'test' } });
    const stream = await storage.get('a/large-stream.bin');
    const back = await readAll(stream!);
    expect(back.length).toBe(body.length);
    expect(sha256(back)).toBe(sha256(body));
    expect((await storage.head('a/large-stream.bin'))?.metadata).toEqual({ kind: 'test' });
  }, 60_000);

  test('an empty object', async () => {
    await storage.put('a/empty', Buffer.alloc(0));
    expect(await getBuffer(storage, 'a/empty')).toEqual(Buffer.alloc(0));
    expect((await storage.head('a/empty'))?.size).toBe(0);
  });

  test('missing objects are undefined, not errors', async () => {
    expect(await storage.get('nothing/here')).toBeUndefined();
    expect(await storage.head('nothing/here')).toBeUndefined();
  });

  test('put replaces an existing object', async () => {
    await storage.put('b/replace', Buffer.from('one'));
    await storage.put('b/replace', Buffer.from('two'));
    expect((await getBuffer(storage, 'b/replace'))?.toString()).toBe('two');
  });

  test('putIfAbsent creates once and never overwrites', async () => {
    expect(await storage.putIfAbsent('b/once', Buffer.from('first'), { metadata: { n: '1' } })).toBe('created');
    expect(await storage.putIfAbsent('b/once', Buffer.from('second'), { metadata: { n: '2' } })).toBe('exists');
    expect((await getBuffer(storage, 'b/once'))?.toString()).toBe('first');
    expect((await storage.head('b/once'))?.metadata).toEqual({ n: '1' });
  });

  test('list follows pages, stays in key order and respects the prefix', async () => {
    const keys = Array.from({ length: 25 }, (_, i) => `list/seg-${String(i).padStart(3, '0')}`);
    for (const key of keys) await storage.put(key, Buffer.from(key));
    await storage.put('listing/not-me', Buffer.from('x'));
    await storage.put('list/sub/deeper', Buffer.from('y'));
    const listed: string[] = [];
    for await (const item of storage.list('list/')) listed.push(item.key);
    expect(listed).toEqual([...keys, 'list/sub/deeper']);
    const partial: string[] = [];
    for await (const item of storage.list('list/seg-01')) partial.push(item.key);
    expect(partial).toEqual(keys.slice(10, 20));
    const sizes: number[] = [];
    for await (const item of storage.list('list/seg-000')) sizes.push(item.size);
    expect(sizes).toEqual([12]);
  }, 30_000);

  test('deleteMany removes the keys and ignores missing ones', async () => {
    await storage.put('c/one', Buffer.from('1'));
    await storage.put('c/two', Buffer.from('2'));
    await storage.deleteMany(['c/one', 'c/two', 'c/never-existed']);
    const left: string[] = [];
    for await (const item of storage.list('c/')) left.push(item.key);
    expect(left).toEqual([]);
    expect(await storage.head('c/one')).toBeUndefined();
  });

  test('invalid keys and metadata are refused before anything is written', async () => {
    await expect(storage.put('../escape', Buffer.from('x'))).rejects.toThrow(/invalid object key/);
    await expect(storage.put('a//b', Buffer.from('x'))).rejects.toThrow(/invalid object key/);
    await expect(storage.put('.hidden', Buffer.from('x'))).rejects.toThrow(/invalid object key/);
    await expect(storage.put('ok', Buffer.from('x'), { metadata: { Upper: 'x' } })).rejects.toThrow(/metadata/);
  });
});

// Only stores that honour create-if-absent atomically: link() on the filesystem, If-None-Match on a
// real S3 server. s3rver ignores the condition, so two racing pushes can both "win" there.
describe.each(implementations.filter(([name]) => !name.includes('s3rver')))('atomic create: %s', (_name, make) => {
  test('of 8 concurrent putIfAbsent calls for one key, exactly one creates it and its bytes stay', async () => {
    const storage = make();
    const bodies = Array.from({ length: 8 }, (_, i) => Buffer.from(`writer ${i} `.repeat(1000)));
    const results = await Promise.all(bodies.map((body) => storage.putIfAbsent('race/one', body)));
    expect(results.filter((r) => r === 'created')).toHaveLength(1);
    const winner = bodies[results.indexOf('created')]!;
    expect(Buffer.compare((await getBuffer(storage, 'race/one'))!, winner)).toBe(0);
    storage.close();
  });
});

describe('S3 failures become StorageError within the configured bound', () => {
  let blackHole: Server;
  let blackHolePort: number;
  const sockets = new Set<import('node:net').Socket>();
  beforeAll(async () => {
    // Accepts connections and never answers: a hung endpoint.
    blackHole = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    blackHolePort = (blackHole.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => blackHole.close(() => resolve()));
  });

  function storageFor(env: Record<string, string>): Storage {
    return new S3Storage(repositoryConfig(new Settings({ flags: {}, env })).s3!);
  }

  test('connection refused', async () => {
    const storage = storageFor({ ...s3.env('contract', 'x'), PGWARD_S3_ENDPOINT: 'http://127.0.0.1:1', PGWARD_STORAGE_RETRIES: '1' });
    const err = await storage.head('k').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(`${(err as StorageError).message} / ${(err as StorageError).hint}`).toMatch(/reachable/);
    storage.close();
  });

  test('a hung endpoint fails after timeout x attempts, not never', async () => {
    const storage = storageFor({
      ...s3.env('contract', 'x'),
      PGWARD_S3_ENDPOINT: `http://127.0.0.1:${blackHolePort}`,
      PGWARD_STORAGE_TIMEOUT: '1',
      PGWARD_STORAGE_RETRIES: '1',
    });
    const started = Date.now();
    const err = await storage.put('k', Buffer.from('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(Date.now() - started).toBeLessThan(10_000);
    storage.close();
  }, 20_000);

  test('a missing bucket says so', async () => {
    const storage = storageFor(s3.env('no-such-bucket', 'x'));
    const err = await storage.put('k', Buffer.from('x')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).message).toMatch(/NoSuchBucket/);
    expect((err as StorageError).hint).toMatch(/create the bucket/);
    storage.close();
  });
});

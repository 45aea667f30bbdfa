// Uploaded bytes are checked by the store (issue 9, storage item 1), on s3rver and, when the run
// started one (PGWARD_TEST_RGW=1, as CI does), on Ceph RGW. What each store does with a Content-MD5
// that does not match is recorded here: RGW refuses it (BadDigest); s3rver ignores it and stores the
// damaged bytes, which is why pgward also compares the ETag the store answers. Through the fault
// proxy, a byte flipped in a PUT or a part is never stored as acknowledged, and a conditional replace
// does not overwrite an object that changed since it was judged.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { repositoryConfig } from '../../src/config/repository.js';
import { Settings } from '../../src/config/settings.js';
import { StorageError } from '../../src/errors/errors.js';
import { FsStorage } from '../../src/storage/fs.js';
import { S3Storage } from '../../src/storage/s3.js';
import { getBuffer, type Storage } from '../../src/storage/storage.js';
import { runningRgw } from '../harness/external-s3.js';
import { TEST_ROOT } from '../harness/paths.js';
import { startS3FaultProxy, type S3FaultProxy } from '../harness/s3-fault-proxy.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

interface Store {
  name: string;
  /** whether the store itself refuses a body that does not match its Content-MD5 */
  verifiesContentMd5: boolean;
  /** whether a PUT with If-Match of an older version is refused (s3rver ignores the condition) */
  honoursIfMatch: boolean;
  endpoint: () => string;
  env: (bucket: string, prefix: string) => Record<string, string>;
  client: () => S3Client;
  createBucket: (name: string) => Promise<void>;
}

let s3: TestS3Server;
const rgw = runningRgw();
const stores: Store[] = [
  { name: 's3rver', verifiesContentMd5: false, honoursIfMatch: false, endpoint: () => s3.endpoint, env: (b, p) => s3.env(b, p), client: () => s3.client(), createBucket: (n) => s3.createBucket(n) },
];
if (rgw) stores.push({ name: 'ceph rgw', verifiesContentMd5: true, honoursIfMatch: true, endpoint: () => rgw.endpoint, env: (b, p) => rgw.env(b, p), client: () => rgw.client(), createBucket: (n) => rgw.createBucket(n) });

beforeAll(async () => {
  s3 = await startS3rver();
}, 30_000);
afterAll(async () => {
  await s3?.stop();
});

describe.each(stores)('uploads checked by the store: $name', (store) => {
  const bucket = `checksum-${randomBytes(4).toString('hex')}`;
  let proxy: S3FaultProxy;
  let storage: S3Storage;

  beforeAll(async () => {
    await store.createBucket(bucket);
    proxy = await startS3FaultProxy(store.endpoint(), { seed: 3 });
    const env = { ...store.env(bucket, 'p'), PGWARD_S3_ENDPOINT: proxy.endpoint, PGWARD_STORAGE_TIMEOUT: '10', PGWARD_STORAGE_RETRIES: '1' };
    storage = new S3Storage({ ...repositoryConfig(new Settings({ flags: {}, env })).s3!, partSizeBytes: 5 * 1024 * 1024 });
  }, 30_000);
  afterAll(async () => {
    storage?.close();
    await proxy?.close();
  });

  test(`a PutObject whose Content-MD5 does not match is ${store.verifiesContentMd5 ? 'refused (BadDigest)' : 'accepted: the store does not verify it'}`, async () => {
    const client = store.client();
    try {
      const wrong = createHash('md5').update('other bytes').digest('base64');
      const sent = client.send(new PutObjectCommand({ Bucket: bucket, Key: 'md5-probe', Body: Buffer.from('these bytes'), ContentMD5: wrong }));
      if (store.verifiesContentMd5) await expect(sent).rejects.toMatchObject({ name: 'BadDigest' });
      else await expect(sent).resolves.toBeDefined();
    } finally {
      client.destroy();
    }
  });

  test('a byte flipped in every PUT: put() rejects with StorageError and nothing readable is acknowledged', async () => {
    proxy.clearRules();
    proxy.addRule({ operation: 'PutObject', fault: { kind: 'flip-request' } });
    try {
      await expect(storage.put('flipped', randomBytes(100_000))).rejects.toBeInstanceOf(StorageError);
    } finally {
      proxy.clearRules();
    }
  });

  test('a byte flipped in one part of a multipart stream: the part is sent again and the object is byte-exact', async () => {
    const data = randomBytes(12 * 1024 * 1024);
    proxy.clearRules();
    proxy.addRule({ operation: 'UploadPart', nth: 2, fault: { kind: 'flip-request' } });
    try {
      await storage.put('multipart', Readable.from([data.subarray(0, 7_000_000), data.subarray(7_000_000)]));
    } finally {
      proxy.clearRules();
    }
    expect(proxy.injected('flip-request').length).toBeGreaterThan(0);
    expect((await getBuffer(storage, 'multipart'))!.equals(data)).toBe(true);
  }, 60_000);

  test('replace() overwrites the version it was given', async () => {
    await storage.put('replace-me', Buffer.from('damaged'));
    const info = (await storage.head('replace-me'))!;
    expect(await storage.replace('replace-me', Buffer.from('repaired'), info.etag!)).toBe('replaced');
    expect((await getBuffer(storage, 'replace-me'))!.toString()).toBe('repaired');
  });

  (store.honoursIfMatch ? test : test.skip)('replace() of a version that changed meanwhile leaves the newer copy', async () => {
    await storage.put('replace-stale', Buffer.from('damaged'));
    const judged = (await storage.head('replace-stale'))!;
    await storage.put('replace-stale', Buffer.from('another writer'));
    expect(await storage.replace('replace-stale', Buffer.from('repair'), judged.etag!)).toBe('changed');
    expect((await getBuffer(storage, 'replace-stale'))!.toString()).toBe('another writer');
  });
});

describe('replace on the filesystem', () => {
  let storage: Storage;
  beforeAll(() => {
    storage = new FsStorage(mkdtempSync(join(TEST_ROOT, 'fs-replace-')));
  });

  test('replace() of a version that changed meanwhile leaves the newer copy', async () => {
    await storage.put('key', Buffer.from('damaged'));
    const judged = (await storage.head('key'))!;
    await new Promise((resolve) => setTimeout(resolve, 20));
    await storage.put('key', Buffer.from('another writer'));
    expect(await storage.replace('key', Buffer.from('repair'), judged.etag!)).toBe('changed');
    expect((await getBuffer(storage, 'key'))!.toString()).toBe('another writer');
    const current = (await storage.head('key'))!;
    expect(await storage.replace('key', Buffer.from('repair'), current.etag!)).toBe('replaced');
    expect((await getBuffer(storage, 'key'))!.toString()).toBe('repair');
  });
});

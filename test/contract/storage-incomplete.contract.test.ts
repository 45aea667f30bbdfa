// Incomplete writes through the storage interface: the filesystem storage lists the hidden temporary
// files a killed writer leaves (and removes only those); the S3 storage lists incomplete multipart
// uploads and aborts them. s3rver has no multipart listing (NotImplemented), which must read as "the
// store cannot tell", not as a failure; a fault proxy answering ListMultipartUploads on s3rver's
// behalf stands in for a store that has one.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryConfig } from '../../src/config/repository.js';
import { Settings } from '../../src/config/settings.js';
import { FsStorage } from '../../src/storage/fs.js';
import { S3Storage } from '../../src/storage/s3.js';
import { TEST_ROOT } from '../harness/paths.js';
import { startS3FaultProxy, type S3FaultProxy } from '../harness/s3-fault-proxy.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

let s3: TestS3Server;
let proxy: S3FaultProxy;

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('incomplete');
  proxy = await startS3FaultProxy(s3.endpoint);
}, 30_000);

afterAll(async () => {
  await proxy?.close();
  await s3?.stop();
});

describe('filesystem storage', () => {
  test('lists temporary files in any folder as incomplete writes of their target key, and removes them', async () => {
    const root = mkdtempSync(join(TEST_ROOT, 'fs-incomplete-'));
    const storage = new FsStorage(root);
    await storage.put('wal_005/000000010000000000000001.lz4', Buffer.from('x'), { metadata: { sha256: 'abc' } });
    mkdirSync(join(root, 'basebackups_005', 'b1'), { recursive: true });
    const walTemp = join(root, 'wal_005', '.000000010000000000000002.lz4.tmp-0123456789ab');
    const partTemp = join(root, 'basebackups_005', 'b1', '.part_00000001.tar.lz4.tmp-abcdefabcdef');
    writeFileSync(walTemp, Buffer.alloc(10));
    writeFileSync(partTemp, Buffer.alloc(20));
    const old = new Date(Date.now() - 3600_000);
    utimesSync(partTemp, old, old);
    const found = await storage.listIncomplete();
    expect(found.map(({ key, size, id }) => ({ key, size, id }))).toEqual([
      { key: 'basebackups_005/b1/part_00000001.tar.lz4', size: 20, id: 'basebackups_005/b1/.part_00000001.tar.lz4.tmp-abcdefabcdef' },
      { key: 'wal_005/000000010000000000000002.lz4', size: 10, id: 'wal_005/.000000010000000000000002.lz4.tmp-0123456789ab' },
    ]);
    await expect(storage.removeIncomplete([{ key: 'x', since: new Date(), id: 'wal_005/000000010000000000000001.lz4' }])).rejects.toThrow(TypeError);
    await storage.removeIncomplete(found);
    expect([existsSync(walTemp), existsSync(partTemp)]).toEqual([false, false]);
    // The object and its metadata sidecar are untouched.
    expect((await storage.head('wal_005/000000010000000000000001.lz4'))?.metadata).toEqual({ sha256: 'abc' });
    expect(await storage.listIncomplete()).toEqual([]);
  });
});

describe('S3 storage', () => {
  const storageVia = (endpoint: string): S3Storage =>
    new S3Storage(repositoryConfig(new Settings({ flags: {}, env: { ...s3.env('incomplete', 'pg15'), PGWARD_S3_ENDPOINT: endpoint } })).s3!);

  test('a store without a multipart listing (s3rver) answers "cannot tell"', async () => {
    const storage = storageVia(s3.endpoint);
    try {
      expect(await storage.listIncomplete()).toBeUndefined();
    } finally {
      storage.close();
    }
  });

  test('incomplete uploads under the prefix are listed and aborted', async () => {
    proxy.addRule({
      operation: 'ListMultipartUploads',
      fault: {
        kind: 'respond',
        status: 200,
        headers: { 'content-type': 'application/xml' },
        body:
          '<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult><Bucket>incomplete</Bucket><Prefix>pg15/</Prefix><IsTruncated>false</IsTruncated>' +
          '<Upload><Key>pg15/basebackups_005/b1/tar_partitions/part_00000001.tar.lz4</Key><UploadId>up-1</UploadId><Initiated>2026-01-01T00:00:00.000Z</Initiated></Upload>' +
          '</ListMultipartUploadsResult>',
      },
    });
    proxy.addRule({ operation: 'AbortMultipartUpload', fault: { kind: 'respond', status: 204 } });
    const storage = storageVia(proxy.endpoint);
    try {
      const found = await storage.listIncomplete();
      expect(found).toEqual([{ key: 'basebackups_005/b1/tar_partitions/part_00000001.tar.lz4', since: new Date('2026-01-01T00:00:00.000Z'), id: 'up-1' }]);
      expect(proxy.seen('ListMultipartUploads')[0]!.query).toMatchObject({ uploads: '', prefix: 'pg15/' });
      await storage.removeIncomplete(found!);
      const abort = proxy.seen('AbortMultipartUpload')[0]!;
      expect({ method: abort.method, key: abort.key, uploadId: abort.query.uploadId }).toEqual({ method: 'DELETE', key: 'pg15/basebackups_005/b1/tar_partitions/part_00000001.tar.lz4', uploadId: 'up-1' });
    } finally {
      storage.close();
      proxy.clearRules();
    }
  });
});

import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { compressBuffer, decompressBuffer } from '../../src/codec/buffer-codec.js';
import { EXTENSIONS, methodOfExtension, parseWriteMethod, WRITE_METHODS } from '../../src/codec/compression.js';
import { IntegrityError } from '../../src/errors/errors.js';

// Half random, half zeros: like a WAL segment, partly compressible.
const data = Buffer.concat([randomBytes(64 * 1024), Buffer.alloc(64 * 1024)]);

describe('buffer codecs', () => {
  test.each(WRITE_METHODS)('%s round trip', async (method) => {
    const packed = await compressBuffer(data, method);
    if (method !== 'none') expect(packed.length).toBeLessThan(data.length);
    expect(await decompressBuffer(packed, method, 'x')).toEqual(data);
  });

  test.each(['lz4', 'zstd', 'gzip'] as const)('a damaged %s object is an integrity error', async (method) => {
    const packed = await compressBuffer(data, method);
    packed[Math.floor(packed.length / 2)]! ^= 0xff;
    await expect(decompressBuffer(packed, method, 's3://b/wal_005/x')).rejects.toThrow(IntegrityError);
  });

  test('endings and names', () => {
    expect(EXTENSIONS).toMatchObject({ lz4: 'lz4', zstd: 'zst', gzip: 'gz', brotli: 'br', lzo: 'lzo', none: '' });
    expect(methodOfExtension('zst')).toBe('zstd');
    expect(methodOfExtension('')).toBe('none');
    expect(methodOfExtension('xz')).toBeUndefined();
    expect(parseWriteMethod('ZST', 'flag')).toBe('zstd');
    expect(() => parseWriteMethod('brotli', 'environment PGWARD_COMPRESSION')).toThrow(/brotli.*PGWARD_COMPRESSION/);
  });
});

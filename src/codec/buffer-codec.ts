// Whole-buffer compression for WAL files (16 MiB by default): one call, no stream plumbing, and the
// compressed size is known before the upload starts (S3 PutObject wants Content-Length).
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { IntegrityError, UsageError } from '../errors/errors.js';
import type { ReadMethod, WriteMethod } from './compression.js';

const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);
const zstdCompress = promisify(zlib.zstdCompress);
const zstdDecompress = promisify(zlib.zstdDecompress);
const brotliDecompress = promisify(zlib.brotliDecompress);

/** wal-e's lzop objects: no maintained JavaScript decoder exists, so Debian's lzop program does it. */
async function lzopDecompress(data: Buffer): Promise<Buffer> {
  const { execa } = await import('execa');
  try {
    const result = await execa('lzop', ['-dc'], { input: data, encoding: 'buffer', stripFinalNewline: false });
    return Buffer.from(result.stdout);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') {
      throw new UsageError('the archive holds wal-e .lzo objects but the lzop program is not installed', {
        hint: 'install it: apt-get install lzop',
      });
    }
    throw err;
  }
}

export async function compressBuffer(data: Buffer, method: WriteMethod): Promise<Buffer> {
  switch (method) {
    case 'lz4': {
      // The frame's content checksum lets every reader (lz4 -d, WAL-G, pgward) detect corruption.
      const { compressFrame } = await import('lz4-napi');
      return compressFrame(data, { contentChecksum: true });
    }
    case 'zstd':
      return zstdCompress(data, { params: { [zlib.constants.ZSTD_c_compressionLevel]: 1, [zlib.constants.ZSTD_c_checksumFlag]: 1 } });
    case 'gzip':
      return gzip(data, { level: 1 });
    case 'none':
      return data;
  }
}

export async function decompressBuffer(data: Buffer, method: ReadMethod, what: string): Promise<Buffer> {
  try {
    switch (method) {
      case 'lz4': {
        const { decompressFrame } = await import('lz4-napi');
        return await decompressFrame(data);
      }
      case 'zstd':
        return await zstdDecompress(data);
      case 'gzip':
        return await gunzip(data);
      case 'brotli':
        return await brotliDecompress(data);
      case 'lzo':
        return await lzopDecompress(data);
      case 'none':
        return data;
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new IntegrityError(`${what} cannot be decompressed as ${method}: ${(err as Error).message}`, {
      hint: 'the archived object is damaged or not what its name says; it cannot be used',
      cause: err,
    });
  }
}

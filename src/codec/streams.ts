// Compression as streams, for base backup partitions: lz4 (parallel frames, lz4-stream.ts), zstd and
// gzip from Node's zlib, or none. Readers for brotli too (WAL-G backups use it).
import { PassThrough, type Duplex } from 'node:stream';
import * as zlib from 'node:zlib';
import { Lz4FrameDecoder, Lz4FrameEncoder } from './lz4-stream.js';
import type { ReadMethod, WriteMethod } from './compression.js';

export function compressionStream(method: WriteMethod): Duplex {
  switch (method) {
    case 'lz4':
      return new Lz4FrameEncoder();
    case 'zstd':
      return zlib.createZstdCompress({ params: { [zlib.constants.ZSTD_c_compressionLevel]: 1, [zlib.constants.ZSTD_c_checksumFlag]: 1 } });
    case 'gzip':
      return zlib.createGzip({ level: 1 });
    case 'none':
      return new PassThrough();
  }
}

export function decompressionStream(method: ReadMethod): Duplex {
  switch (method) {
    case 'lz4':
      return new Lz4FrameDecoder();
    case 'zstd':
      return zlib.createZstdDecompress();
    case 'gzip':
      return zlib.createGunzip();
    case 'brotli':
      return zlib.createBrotliDecompress();
    case 'none':
      return new PassThrough();
    case 'lzo':
      throw new Error('lzo base backups are not supported (wal-e WAL only)');
  }
}

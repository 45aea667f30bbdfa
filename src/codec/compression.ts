// Compression methods and their object-name endings. pgward writes lz4 (LZ4 frame format, readable by
// `lz4 -d` and WAL-G), zstd, gzip or none; it also reads what wal-e and WAL-G wrote: brotli (.br) and
// wal-e's lzop (.lzo, decoded by the lzop program).
import { UsageError } from '../errors/errors.js';

export const WRITE_METHODS = ['lz4', 'zstd', 'gzip', 'none'] as const;
export type WriteMethod = (typeof WRITE_METHODS)[number];
export type ReadMethod = WriteMethod | 'brotli' | 'lzo';

export const EXTENSIONS: Record<ReadMethod, string> = {
  lz4: 'lz4',
  zstd: 'zst',
  gzip: 'gz',
  brotli: 'br',
  lzo: 'lzo',
  none: '',
};

/** Preference when one WAL file exists under several endings (a method changed mid-history). */
export const READ_ORDER: readonly ReadMethod[] = ['lz4', 'zstd', 'brotli', 'gzip', 'lzo', 'none'];

export function methodOfExtension(extension: string): ReadMethod | undefined {
  return READ_ORDER.find((method) => EXTENSIONS[method] === extension);
}

export function parseWriteMethod(value: string, source: string): WriteMethod {
  const method = value.trim().toLowerCase() === 'zst' ? 'zstd' : value.trim().toLowerCase();
  if (!(WRITE_METHODS as readonly string[]).includes(method)) {
    throw new UsageError(`compression ${JSON.stringify(value)} (${source}) is not one of ${WRITE_METHODS.join(', ')}`, {
      hint: 'lz4 is the default: fast, and readable by WAL-G',
    });
  }
  return method as WriteMethod;
}

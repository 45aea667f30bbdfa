// The long page header at the start of every WAL segment (XLogLongPageHeaderData in PostgreSQL's
// src/include/access/xlog_internal.h):
//   0 xlp_magic uint16 | 2 xlp_info uint16 | 4 xlp_tli uint32 | 8 xlp_pageaddr uint64 | 16 xlp_rem_len
//   24 xlp_sysid uint64 | 32 xlp_seg_size uint32 | 36 xlp_xlog_blcksz uint32
// It carries the system identifier of the cluster that wrote the segment, so a segment from another
// cluster, a zero-filled or truncated file, or a file renamed to another segment's name is caught
// before anything is uploaded (or, on fetch, handed to PostgreSQL).
import { segmentStartLsn } from './wal-file-name.js';

const XLP_LONG_HEADER = 0x0002;
export const LONG_HEADER_SIZE = 40;

export interface WalPageHeader {
  magic: number;
  timeline: number;
  pageAddress: bigint;
  systemIdentifier: string;
  segmentSize: number;
  blockSize: number;
}

/**
 * What is wrong with a header. Callers decide on the kind (another cluster's WAL is an identity
 * problem, everything else damage), never on the message text, which is free to change.
 */
export type WalHeaderProblem =
  | 'too-short'
  | 'zero-filled'
  | 'bad-magic'
  | 'no-long-header'
  | 'bad-segment-size'
  | 'bad-block-size'
  | 'foreign-system'
  | 'size-mismatch'
  | 'misplaced';

export class WalHeaderError extends Error {
  constructor(
    readonly kind: WalHeaderProblem,
    message: string,
  ) {
    super(message);
    this.name = 'WalHeaderError';
  }
}

const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

export function parseWalPageHeader(data: Buffer): WalPageHeader {
  if (data.length < LONG_HEADER_SIZE) throw new WalHeaderError('too-short', `only ${data.length} bytes, too short for a WAL page header`);
  const magic = data.readUInt16LE(0);
  if (magic === 0 && data.subarray(0, LONG_HEADER_SIZE).every((byte) => byte === 0)) {
    throw new WalHeaderError('zero-filled', 'it starts with zeros, not a WAL page header (a pre-allocated or zero-filled file)');
  }
  // Every release since 9.x uses 0xD0xx or 0xD1xx.
  if (magic >> 8 !== 0xd0 && magic >> 8 !== 0xd1) throw new WalHeaderError('bad-magic', `page magic 0x${magic.toString(16)} is not a WAL page magic`);
  if ((data.readUInt16LE(2) & XLP_LONG_HEADER) === 0) throw new WalHeaderError('no-long-header', 'the first page has no long header');
  const segmentSize = data.readUInt32LE(32);
  const blockSize = data.readUInt32LE(36);
  if (!isPowerOfTwo(segmentSize) || segmentSize < 1 << 20 || segmentSize > 1 << 30) {
    throw new WalHeaderError('bad-segment-size', `segment size ${segmentSize} in the header is not valid`);
  }
  if (!isPowerOfTwo(blockSize) || blockSize < 1024 || blockSize > 32768) throw new WalHeaderError('bad-block-size', `block size ${blockSize} in the header is not valid`);
  return {
    magic,
    timeline: data.readUInt32LE(4),
    pageAddress: data.readBigUInt64LE(8),
    systemIdentifier: data.readBigUInt64LE(24).toString(),
    segmentSize,
    blockSize,
  };
}

/**
 * Checks a whole segment (or .partial) file against the cluster and its name; returns the header.
 * `size` is the file's length: a segment is always exactly segment-size bytes.
 */
export function checkSegment(data: Buffer, size: number, segment: string, systemIdentifier: string): WalPageHeader {
  const header = parseWalPageHeader(data);
  if (header.systemIdentifier !== systemIdentifier) {
    throw new WalHeaderError('foreign-system', `it was written by the cluster with system identifier ${header.systemIdentifier}, not ${systemIdentifier}`);
  }
  if (size !== header.segmentSize) throw new WalHeaderError('size-mismatch', `it is ${size} bytes, but its header says segments are ${header.segmentSize} bytes (truncated?)`);
  const expected = segmentStartLsn(segment, header.segmentSize);
  if (header.pageAddress !== expected) {
    throw new WalHeaderError('misplaced', `its first page belongs at ${formatAddress(header.pageAddress)}, not at ${formatAddress(expected)} where ${segment} starts (renamed?)`);
  }
  return header;
}

function formatAddress(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

import { describe, expect, test } from '@jest/globals';
import { checkSegment, parseWalPageHeader, WalHeaderError } from '../../src/wal/page-header.js';
import { checkWalContent } from '../../src/wal/wal-content.js';
import { parseWalFileName } from '../../src/wal/wal-file-name.js';
import { ClusterIdentityError, IntegrityError } from '../../src/errors/errors.js';

const SEG = 1024 * 1024;
const SYSID = 7710695137008396876n;

/** A WAL segment as PostgreSQL writes it: only the long page header matters here. */
function segment(options: { segno: number; sysid?: bigint; size?: number; magic?: number }): Buffer {
  const buf = Buffer.alloc(options.size ?? SEG);
  buf.writeUInt16LE(options.magic ?? 0xd110, 0);
  buf.writeUInt16LE(0x0002, 2);
  buf.writeUInt32LE(1, 4);
  buf.writeBigUInt64LE(BigInt(options.segno) * BigInt(SEG), 8);
  buf.writeBigUInt64LE(options.sysid ?? SYSID, 24);
  buf.writeUInt32LE(SEG, 32);
  buf.writeUInt32LE(8192, 36);
  return buf;
}
const name = (segno: number) => `00000001000000000000${segno.toString(16).toUpperCase().padStart(4, '0')}`;

describe('WAL long page header', () => {
  test('reads the identity', () => {
    expect(parseWalPageHeader(segment({ segno: 3 }))).toEqual({ magic: 0xd110, timeline: 1, pageAddress: 3n * BigInt(SEG), systemIdentifier: String(SYSID), segmentSize: SEG, blockSize: 8192 });
  });

  test('a good segment passes, and its header is what the name says', () => {
    expect(checkSegment(segment({ segno: 0x21 }), SEG, name(0x21), String(SYSID))).toEqual({ magic: 0xd110, timeline: 1, pageAddress: 0x21n * BigInt(SEG), systemIdentifier: String(SYSID), segmentSize: SEG, blockSize: 8192 });
  });

  test.each([
    ['another cluster', segment({ segno: 5, sysid: 42n }), SEG, 5, /system identifier 42, not/],
    ['truncated', segment({ segno: 5 }).subarray(0, 8192), 8192, 5, /8192 bytes, but its header says segments are 1048576/],
    ['renamed', segment({ segno: 5 }), SEG, 6, /belongs at 0\/500000, not at 0\/600000/],
    ['zero-filled', Buffer.alloc(SEG), SEG, 5, /starts with zeros/],
    ['not WAL', Buffer.alloc(SEG, 0x41), SEG, 5, /not a WAL page magic/],
  ])('%s is refused', (_what, data, size, segno, message) => {
    expect(() => checkSegment(data, size, name(segno), String(SYSID))).toThrow(WalHeaderError);
    expect(() => checkSegment(data, size, name(segno), String(SYSID))).toThrow(message);
  });

  test('a foreign segment is an identity error, a damaged one an integrity error', () => {
    const file = parseWalFileName(name(5))!;
    expect(() => checkWalContent(file, segment({ segno: 5, sysid: 42n }), String(SYSID), 'x')).toThrow(ClusterIdentityError);
    expect(() => checkWalContent(file, Buffer.alloc(100), String(SYSID), 'x')).toThrow(IntegrityError);
  });

  test('history and backup files are checked for their shape', () => {
    const history = parseWalFileName('00000002.history')!;
    expect(() => checkWalContent(history, Buffer.from('1\t0/3000140\tno recovery target specified\n'), undefined, 'h')).not.toThrow();
    expect(() => checkWalContent(history, Buffer.from('garbage\n'), undefined, 'h')).toThrow(IntegrityError);
    const backup = parseWalFileName('000000010000000000000002.00000028.backup')!;
    expect(() => checkWalContent(backup, Buffer.from('START WAL LOCATION: 0/2000028 (file 000000010000000000000002)\n'), undefined, 'b')).not.toThrow();
    expect(() => checkWalContent(backup, Buffer.from('x'), undefined, 'b')).toThrow(IntegrityError);
  });
});

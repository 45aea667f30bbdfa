// Page-header failures carry a kind, and wal-content picks the error class from the kind, not from the
// message text (a reworded message must not turn another cluster's WAL into mere "damage").
import { describe, expect, test } from '@jest/globals';
import { checkSegment, WalHeaderError, type WalHeaderProblem } from '../../src/wal/page-header.js';

const SEG = 1024 * 1024;
const SYSID = 7710695137008396876n;

function segment(options: { segno: number; sysid?: bigint; magic?: number; info?: number; segSize?: number; blockSize?: number }): Buffer {
  const buf = Buffer.alloc(SEG);
  buf.writeUInt16LE(options.magic ?? 0xd110, 0);
  buf.writeUInt16LE(options.info ?? 0x0002, 2);
  buf.writeUInt32LE(1, 4);
  buf.writeBigUInt64LE(BigInt(options.segno) * BigInt(SEG), 8);
  buf.writeBigUInt64LE(options.sysid ?? SYSID, 24);
  buf.writeUInt32LE(options.segSize ?? SEG, 32);
  buf.writeUInt32LE(options.blockSize ?? 8192, 36);
  return buf;
}
const name = (segno: number) => `00000001000000000000${segno.toString(16).toUpperCase().padStart(4, '0')}`;

function kindOf(data: Buffer, size: number, segno: number): WalHeaderProblem | undefined {
  try {
    checkSegment(data, size, name(segno), String(SYSID));
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(WalHeaderError);
    return (err as WalHeaderError).kind;
  }
}

describe('page-header error kinds', () => {
  test.each<[string, Buffer, number, number, WalHeaderProblem]>([
    ['too short', Buffer.alloc(20, 1), 20, 5, 'too-short'],
    ['zero-filled', Buffer.alloc(SEG), SEG, 5, 'zero-filled'],
    ['not WAL', Buffer.alloc(SEG, 0x41), SEG, 5, 'bad-magic'],
    ['no long header', segment({ segno: 5, info: 0 }), SEG, 5, 'no-long-header'],
    ['bad segment size', segment({ segno: 5, segSize: 12345 }), SEG, 5, 'bad-segment-size'],
    ['bad block size', segment({ segno: 5, blockSize: 100 }), SEG, 5, 'bad-block-size'],
    ['another cluster', segment({ segno: 5, sysid: 42n }), SEG, 5, 'foreign-system'],
    ['truncated', segment({ segno: 5 }), 8192, 5, 'size-mismatch'],
    ['renamed', segment({ segno: 5 }), SEG, 6, 'misplaced'],
  ])('%s', (_what, data, size, segno, kind) => {
    expect(kindOf(data, size, segno)).toBe(kind);
  });
});

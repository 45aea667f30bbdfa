import { describe, expect, test } from '@jest/globals';
import { parseLsn, parseWalFileName, segmentName, segmentNumber, segmentStartLsn } from '../../src/wal/wal-file-name.js';
import { parseWalKey } from '../../src/repo/layout.js';
import { parseTimelineHistory } from '../../src/wal/timeline-history.js';

const MB16 = 16 * 1024 * 1024;

describe('WAL file names', () => {
  test.each([
    ['000000010000000000000003', { kind: 'segment', timeline: 1, segment: '000000010000000000000003' }],
    ['0000000A00000002000000FF.partial', { kind: 'partial', timeline: 10, segment: '0000000A00000002000000FF' }],
    ['000000010000000000000002.00000028.backup', { kind: 'backup', timeline: 1, segment: '000000010000000000000002' }],
    ['00000002.history', { kind: 'history', timeline: 2 }],
  ])('%s', (name, expected) => expect(parseWalFileName(name)).toMatchObject({ name, ...expected }));

  test.each(['', 'RECOVERYXLOG', '00000001000000000000000', '000000010000000000000003.lz4', '0000000100000000000000g3', '00000000.history', '000000000000000000000001'])(
    'refuses %j',
    (name) => expect(parseWalFileName(name)).toBeUndefined(),
  );

  test('segment numbers and names round trip at 16 MiB and 1 MiB', () => {
    expect(segmentNumber('0000000100000002000000FF', MB16)).toBe(2n * 256n + 255n);
    expect(segmentName(1, 2n * 256n + 255n, MB16)).toBe('0000000100000002000000FF');
    expect(segmentName(3, 4096n + 5n, 1024 * 1024)).toBe('000000030000000100000005');
    expect(segmentStartLsn('000000010000000000000003', MB16)).toBe(0x3000000n);
  });

  test('LSNs', () => {
    expect(parseLsn('0/3000028')).toBe(0x3000028n);
    expect(parseLsn('1A/FF')).toBe((0x1an << 32n) | 0xffn);
    expect(() => parseLsn('nonsense')).toThrow(RangeError);
  });

  test('repository keys of WAL objects', () => {
    expect(parseWalKey('wal_005/000000010000000000000003.lz4')).toEqual({ fileName: '000000010000000000000003', extension: 'lz4' });
    expect(parseWalKey('wal_005/000000010000000000000003')).toEqual({ fileName: '000000010000000000000003', extension: '' });
    expect(parseWalKey('wal_005/00000002.history.br')).toEqual({ fileName: '00000002.history', extension: 'br' });
    expect(parseWalKey('wal_005/000000010000000000000002.00000028.backup.zst')).toEqual({ fileName: '000000010000000000000002.00000028.backup', extension: 'zst' });
    expect(parseWalKey('wal_005/000000010000000000000003.partial.lz4')?.fileName).toBe('000000010000000000000003.partial');
    expect(parseWalKey('basebackups_005/x')).toBeUndefined();
    expect(parseWalKey('wal_005/archive_status/x')).toBeUndefined();
  });

  test('timeline history', () => {
    const text = '1\t0/3000140\tno recovery target specified\n\n2\t0/5000000\tat restore point "x"\n';
    expect(parseTimelineHistory(text)).toEqual([
      { timeline: 1, switchLsn: 0x3000140n },
      { timeline: 2, switchLsn: 0x5000000n },
    ]);
  });
});

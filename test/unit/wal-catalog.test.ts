import { describe, expect, test } from '@jest/globals';
import { buildCatalog, checkRecoveryPath } from '../../src/wal/wal-catalog.js';
import { segmentName } from '../../src/wal/wal-file-name.js';

const MB16 = 16 * 1024 * 1024;
const seg = (tli: number, n: number) => segmentName(tli, BigInt(n), MB16);
const range = (tli: number, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => seg(tli, from + i));

describe('catalog', () => {
  test('timelines, ranges, gaps (across the xlogid boundary), partial and history files', () => {
    const names = [...range(1, 250, 258).filter((n) => n !== seg(1, 255) && n !== seg(1, 256)), `${seg(1, 259)}.partial`, '00000002.history', ...range(2, 259, 260), `${seg(1, 251)}.00000028.backup`];
    const catalog = buildCatalog(names, MB16);
    expect(catalog.timelines).toEqual([
      { timeline: 1, first: seg(1, 250), last: seg(1, 258), segments: 7, partial: [`${seg(1, 259)}.partial`], hasHistory: false, gaps: [{ from: seg(1, 255), to: seg(1, 256), count: 2 }] },
      { timeline: 2, first: seg(2, 259), last: seg(2, 260), segments: 2, partial: [], hasHistory: true, gaps: [] },
    ]);
    expect(seg(1, 256)).toBe('000000010000000100000000');
    expect(catalog.backupHistoryFiles).toEqual([`${seg(1, 251)}.00000028.backup`]);
  });
});

describe('recovery path across a timeline switch', () => {
  // Timeline 2 branched from 1 at 0/5000140, inside segment 5: segments 1-4 come from timeline 1,
  // segment 5 onwards from timeline 2 (which starts with a copy of segment 5).
  const switches = [{ timeline: 1, switchLsn: 0x5000140n }];

  test('complete', () => {
    const present = new Set([...range(1, 1, 5), ...range(2, 5, 8)]);
    expect(checkRecoveryPath(present, 2, switches, 1n, 8n, MB16)).toEqual({ timeline: 2, from: seg(1, 1), to: seg(2, 8), missing: [], missingCount: 0 });
  });

  test("timeline 1's copy of the switch segment is not needed; timeline 2's is", () => {
    const present = new Set([...range(1, 1, 4), ...range(2, 6, 8)]);
    expect(checkRecoveryPath(present, 2, switches, 1n, 8n, MB16).missing).toEqual([{ from: seg(2, 5), to: seg(2, 5), count: 1 }]);
  });

  test('a gap on the parent timeline is reported under the parent', () => {
    const present = new Set([seg(1, 1), seg(1, 4), ...range(2, 5, 8)]);
    const report = checkRecoveryPath(present, 2, switches, 1n, 8n, MB16);
    expect(report.missing).toEqual([{ from: seg(1, 2), to: seg(1, 3), count: 2 }]);
    expect(report.missingCount).toBe(2);
  });
});

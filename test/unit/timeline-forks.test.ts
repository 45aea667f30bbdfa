import { describe, expect, test } from '@jest/globals';
import { locationId } from '../../src/repo/locations.js';
import { predictLatestTimeline } from '../../src/wal/recovery-timeline.js';
import { findTimelineForks, formatLsn } from '../../src/wal/timeline-forks.js';
import { segmentName } from '../../src/wal/wal-file-name.js';

const MB16 = 16 * 1024 * 1024;
const seg = (tli: number, n: number) => segmentName(tli, BigInt(n), MB16);
const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
// Timeline 2 branched off 1 at 0/5000140, inside segment 5.
const histories = new Map([[2, [{ timeline: 1, switchLsn: 0x5000140n }]]]);

function archive(entries: Array<[string, number | undefined]>): Map<string, Date | undefined> {
  return new Map(entries.map(([name, second]) => [name, second === undefined ? undefined : at(second)]));
}

describe('timeline forks', () => {
  test('a clean failover: the parent ends in the switch segment', () => {
    const files = archive([[seg(1, 4), 1], [seg(1, 5), 2], ['00000002.history', 3], [seg(2, 5), 4], [seg(2, 6), 5]]);
    expect(findTimelineForks(files, histories, MB16)).toEqual([]);
  });

  test('the parent archived past the fork after the child appeared: both timelines, the fork LSN and the last parent segment', () => {
    const files = archive([[seg(1, 5), 2], ['00000002.history', 3], [seg(2, 5), 4], [seg(1, 6), 5], [seg(1, 7), 6]]);
    expect(findTimelineForks(files, histories, MB16)).toEqual([{ parent: 1, child: 2, forkLsn: 0x5000140n, lastParentSegment: seg(1, 7), segmentsAfterFork: 2 }]);
    expect(formatLsn(0x5000140n)).toBe('0/5000140');
  });

  test('parent WAL past the fork stored before the child (a deliberate point-in-time restore) is not a fork', () => {
    const files = archive([[seg(1, 6), 1], [seg(1, 7), 2], ['00000002.history', 10], [seg(2, 5), 11]]);
    expect(findTimelineForks(files, histories, MB16)).toEqual([]);
  });

  test('without storage times it errs towards reporting', () => {
    const files = archive([['00000002.history', undefined], [seg(1, 6), undefined]]);
    expect(findTimelineForks(files, histories, MB16)).toHaveLength(1);
  });

  test('a switch exactly at a segment boundary: the parent segment starting there is already past the fork', () => {
    const boundary = new Map([[2, [{ timeline: 1, switchLsn: 0x5000000n }]]]);
    expect(findTimelineForks(archive([['00000002.history', 1], [seg(1, 5), 2]]), boundary, MB16)).toEqual([expect.objectContaining({ lastParentSegment: seg(1, 5) })]);
  });
});

describe('the timeline recovery_target_timeline = latest reaches', () => {
  test('no later history: the backup timeline', () => {
    expect(predictLatestTimeline(1, new Map(), [])).toEqual({ timeline: 1, reason: expect.stringMatching(/no 00000002.history/) });
  });

  test('the newest consecutive history that descends from the backup, with the path', () => {
    const chain = new Map([
      [2, [{ timeline: 1, switchLsn: 0x5000140n }]],
      [3, [{ timeline: 1, switchLsn: 0x5000140n }, { timeline: 2, switchLsn: 0x9000000n }]],
      [5, [{ timeline: 1, switchLsn: 0x5000140n }]],
    ]);
    const prediction = predictLatestTimeline(1, chain, []);
    expect(prediction).toEqual({ timeline: 3, reason: expect.stringMatching(/follows timeline 1 -> 2 -> 3/) });
  });

  test('a fork on the path is a warning naming the timeline to choose instead', () => {
    const fork = { parent: 1, child: 2, forkLsn: 0x5000140n, lastParentSegment: seg(1, 7), segmentsAfterFork: 2 };
    const prediction = predictLatestTimeline(1, histories, [fork]);
    expect(prediction.timeline).toBe(2);
    expect(prediction.warning).toMatch(/timeline 2 forked off timeline 1 at 0\/5000140.*up to 000000010000000000000007.*set recovery_target_timeline = '1'/);
  });

  test('a newest timeline that does not descend from the backup is a warning', () => {
    const prediction = predictLatestTimeline(2, new Map([[3, [{ timeline: 1, switchLsn: 0x5000140n }]]]), []);
    expect(prediction.warning).toMatch(/does not descend from the backup's timeline 2/);
  });
});

test('a location id depends on both the host and the data directory', () => {
  expect(locationId('db1', '/var/lib/postgresql/15/main')).toMatch(/^[0-9a-f]{16}$/);
  expect(locationId('db1', '/var/lib/postgresql/15/main')).toBe(locationId('db1', '/var/lib/postgresql/15/main'));
  expect(locationId('db2', '/var/lib/postgresql/15/main')).not.toBe(locationId('db1', '/var/lib/postgresql/15/main'));
});

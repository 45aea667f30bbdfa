import { describe, expect, test } from '@jest/globals';
import type { BackupSentinel } from '../../src/backup/manifest.js';
import { chooseBackup, parseTargetLsn, parseTargetTime, resolveTarget, unreachableReason, type Lineage } from '../../src/backup/recovery-target.js';
import { PgwardError } from '../../src/errors/errors.js';

const backup = (name: string, timeline: number, stopLsn: string, finishedAt: string) => ({ name, timeline, stopLsn, finishedAt }) as BackupSentinel;
const first = backup('base_1', 1, '0/3000100', '2026-11-22T06:00:00.000Z');
const second = backup('base_2', 1, '0/5000100', '2026-11-22T07:00:00.000Z');
const onTwo = backup('base_3', 2, '0/8000100', '2026-11-22T08:00:00.000Z');
const all = [first, second, onTwo];
const lineage2: Lineage = { timeline: 2, switches: [{ timeline: 1, switchLsn: 0x6000000n }] };

function usageError(run: () => unknown): PgwardError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(PgwardError);
    expect((err as PgwardError).exitCode).toBe(2);
    return err as PgwardError;
  }
  throw new Error('did not throw');
}

describe('parseTargetTime', () => {
  test.each([
    ['2026-11-22 06:30:00+00', '2026-11-22 06:30:00.000000+00'],
    ['2026-11-22T06:30:00Z', '2026-11-22 06:30:00.000000+00'],
    ['2026-11-22 06:30:00 UTC', '2026-11-22 06:30:00.000000+00'],
    ['2026-11-22 07:30:00+01', '2026-11-22 06:30:00.000000+00'],
    ['2026-11-22 08:00:00+01:30', '2026-11-22 06:30:00.000000+00'],
    ['2026-11-22 01:30:00-0500', '2026-11-22 06:30:00.000000+00'],
    ['2026-11-22 06:30+00', '2026-11-22 06:30:00.000000+00'],
    ['2026-11-22 06:30:00.123456+00', '2026-11-22 06:30:00.123456+00'],
    ['2026-11-22 06:30:00.5+00', '2026-11-22 06:30:00.500000+00'],
    ['2026-11-23 00:30:00+18', undefined],
  ])('%s', (input, written) => {
    if (written === undefined) {
      usageError(() => parseTargetTime(input));
      return;
    }
    expect(parseTargetTime(input).text).toBe(written);
  });

  test('microseconds since the epoch, UTC', () => {
    expect(parseTargetTime('1970-01-01 00:00:01.000002+00').micros).toBe(1_000_002n);
    expect(parseTargetTime('1970-01-01 01:00:00+01').micros).toBe(0n);
  });

  test.each([
    ['garbage', /is not a timestamp/],
    ['2026-11-22', /is not a timestamp/],
    ['2026-11-22 06:30:00', /has no time zone/],
    ['2026-11-22 06:30:00 Europe/Paris', /names the time zone Europe\/Paris/],
    ['2026-02-30 06:30:00+00', /not a valid date/],
    ['2026-11-22 24:30:00+00', /not a valid date/],
    ['2026-11-22 06:60:00+00', /not a valid date/],
  ])('refuses %s', (input, message) => {
    const err = usageError(() => parseTargetTime(input));
    expect(err.message).toMatch(message);
    expect(err.hint).toBeTruthy();
  });

  test('the hint for a time without a zone shows it with +00', () => {
    expect(usageError(() => parseTargetTime('2026-11-22 06:30:00')).hint).toMatch(/'2026-11-22 06:30:00\+00'/);
  });
});

describe('parseTargetLsn', () => {
  test('hex pairs, normalised to upper case', () => {
    expect(parseTargetLsn('0/3000060')).toEqual({ lsn: 0x3000060n, text: '0/3000060' });
    expect(parseTargetLsn('1a/ff')).toEqual({ lsn: (0x1an << 32n) | 0xffn, text: '1A/FF' });
  });
  test.each(['garbage', '0/', '/1', '123456789/0', '0x1/2', '1-2'])('refuses %s', (input) => {
    expect(usageError(() => parseTargetLsn(input)).message).toMatch(/is not an LSN/);
  });
});

describe('resolveTarget', () => {
  test('one target at most', () => {
    expect(usageError(() => resolveTarget({ time: '2026-11-22 06:30:00+00', lsn: '0/1' })).message).toMatch(/--target-time and --target-lsn/);
  });
  test('none, a name, a time', () => {
    expect(resolveTarget({})).toEqual({ kind: 'none' });
    expect(resolveTarget({ name: 'before_upgrade' })).toEqual({ kind: 'name', text: 'before_upgrade' });
    expect(resolveTarget({ time: '2026-11-22 06:30:00Z' })).toMatchObject({ kind: 'time', text: '2026-11-22 06:30:00.000000+00' });
  });
});

describe('chooseBackup', () => {
  const time = (text: string) => resolveTarget({ time: text });
  const lsn = (text: string) => resolveTarget({ lsn: text });

  test('no target: LATEST is the newest backup', () => {
    expect(chooseBackup(all, 'LATEST', { kind: 'none' }, undefined).name).toBe('base_3');
  });

  test('a time: LATEST is the newest backup that finished before it', () => {
    expect(chooseBackup(all, 'LATEST', time('2026-11-22 06:30:00+00'), lineage2).name).toBe('base_1');
    expect(chooseBackup(all, 'LATEST', time('2026-11-22 07:30:00+00'), lineage2).name).toBe('base_2');
    expect(chooseBackup(all, 'LATEST', time('2026-11-22 09:00:00+00'), lineage2).name).toBe('base_3');
  });

  test('a backup finishing exactly at the target cannot reach it', () => {
    expect(chooseBackup(all, 'LATEST', time('2026-11-22 07:00:00+00'), lineage2).name).toBe('base_1');
  });

  test('a time before every backup: refused, naming the oldest', () => {
    const err = usageError(() => chooseBackup(all, 'LATEST', time('2026-11-22 05:00:00+00'), lineage2));
    expect(err.message).toMatch(/no complete backup can recover to --target-time 2026-11-22 05:00:00.000000\+00/);
    expect(err.hint).toMatch(/base_1/);
  });

  test('a named backup that finished after the time: refused, naming one that can', () => {
    const err = usageError(() => chooseBackup(all, 'base_2', time('2026-11-22 06:30:00+00'), lineage2));
    expect(err.message).toMatch(/backup base_2 cannot recover to --target-time .*: it finished at 2026-11-22T07:00:00.000Z/);
    expect(err.hint).toMatch(/restore base_1/);
  });

  test('a named backup that can: chosen', () => {
    expect(chooseBackup(all, 'base_1', time('2026-11-22 07:30:00+00'), lineage2).name).toBe('base_1');
  });

  test('an LSN: stop LSN at or before it', () => {
    expect(chooseBackup(all, 'LATEST', lsn('0/5000100'), lineage2).name).toBe('base_2');
    expect(chooseBackup(all, 'LATEST', lsn('0/50000FF'), lineage2).name).toBe('base_1');
    expect(usageError(() => chooseBackup(all, 'base_3', lsn('0/7000000'), lineage2)).hint).toMatch(/restore base_2/);
  });

  test('the lineage: a backup on timeline 1 past the switch to 2 cannot reach a target on 2', () => {
    const late = backup('base_late', 1, '0/7000000', '2026-11-22T07:10:00.000Z');
    expect(unreachableReason(late, lsn('0/9000000'), lineage2)).toMatch(/after timeline 1 ended at 0\/6000000/);
    expect(chooseBackup([...all, late], 'LATEST', time('2026-11-22 07:30:00+00'), lineage2).name).toBe('base_2');
  });

  test('the lineage: a timeline that is not an ancestor', () => {
    const other = backup('base_other', 3, '0/9000000', '2026-11-22T07:20:00.000Z');
    expect(unreachableReason(other, time('2026-11-22 09:00:00+00'), lineage2)).toMatch(/timeline 3, which is not an ancestor of timeline 2/);
  });

  test('a restore point name leaves the choice as it is', () => {
    expect(chooseBackup(all, 'LATEST', { kind: 'name', text: 'p' }, lineage2).name).toBe('base_3');
    expect(chooseBackup(all, 'base_1', { kind: 'name', text: 'p' }, lineage2).name).toBe('base_1');
  });
});

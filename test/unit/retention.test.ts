import { describe, expect, test } from '@jest/globals';
import { planRetention } from '../../src/backup/retention.js';
import type { BackupListing } from '../../src/backup/catalog.js';
import type { BackupSentinel } from '../../src/backup/manifest.js';

const MB16 = 16 * 1024 * 1024;
const backup = (name: string, walStart: string, finishedAt: string) => ({ name, walStart, finishedAt }) as BackupSentinel;
const listing: BackupListing = {
  complete: [
    backup('base_000000010000000000000002_00000028', '000000010000000000000002', '2026-01-01T00:00:00Z'),
    backup('base_000000010000000000000005_00000028', '000000010000000000000005', '2026-01-02T00:00:00Z'),
    backup('base_000000010000000000000009_00000028', '000000010000000000000009', '2026-01-03T00:00:00Z'),
  ],
  incomplete: [
    { name: 'base_000000010000000000000004_00000028', objects: 3, bytes: 10 },
    { name: 'base_00000001000000000000000A_00000028', objects: 1, bytes: 10 },
  ],
};
const wal = ['wal_005/000000010000000000000001.lz4', 'wal_005/000000010000000000000004.lz4', 'wal_005/000000010000000000000004.00000028.backup.lz4', 'wal_005/000000010000000000000005.lz4', 'wal_005/00000002.history.lz4', 'wal_005/000000020000000000000006.lz4'];

describe('retention plan', () => {
  test('retain 2: the oldest backup, older incomplete ones and WAL before the oldest kept start go', () => {
    const plan = planRetention(listing, wal, { kind: 'retain', count: 2 }, MB16);
    expect(plan.keep).toEqual(['base_000000010000000000000005_00000028', 'base_000000010000000000000009_00000028']);
    expect(plan.deleteBackups).toEqual(['base_000000010000000000000002_00000028', 'base_000000010000000000000004_00000028']);
    expect(plan.walBoundary).toBe('000000010000000000000005');
    expect(plan.deleteWal).toEqual(['wal_005/000000010000000000000001.lz4', 'wal_005/000000010000000000000004.lz4', 'wal_005/000000010000000000000004.00000028.backup.lz4']);
  });

  test('before NAME keeps NAME and everything newer; history files always stay', () => {
    const plan = planRetention(listing, wal, { kind: 'before', name: 'base_000000010000000000000009_00000028' }, MB16);
    expect(plan.keep).toEqual(['base_000000010000000000000009_00000028']);
    expect(plan.deleteWal).not.toContain('wal_005/00000002.history.lz4');
    expect(plan.deleteWal).toContain('wal_005/000000020000000000000006.lz4');
  });

  test('retain more than exist deletes nothing; bad rules are refused', () => {
    const plan = planRetention(listing, wal, { kind: 'retain', count: 10 }, MB16);
    expect(plan.deleteBackups).toEqual([]);
    expect(plan.deleteWal).toEqual(['wal_005/000000010000000000000001.lz4']);
    expect(() => planRetention(listing, wal, { kind: 'retain', count: 0 }, MB16)).toThrow(/at least 1/);
    expect(() => planRetention(listing, wal, { kind: 'before', name: 'nope' }, MB16)).toThrow(/not a complete backup/);
  });
});

import { expect, test } from '@jest/globals';
import { DEFAULT_THRESHOLDS, judge } from '../../src/status/verdict.js';
import type { ClusterStatus } from '../../src/status/cluster-status.js';

const now = new Date('2026-11-22T12:00:00Z');
const healthy: Omit<ClusterStatus, 'verdict' | 'reasons'> = {
  cluster: '15/main',
  dataDirectory: '/var/lib/postgresql/15/main',
  running: true,
  archiveMode: 'on',
  archiveCommand: 'pgward wal-push %p',
  pgwardArchiving: true,
  settings: { from: 'the default settings' },
  archiver: { lastArchivedWal: '000000010000000000000010', lastArchivedTime: '2026-11-22T11:59:00Z', lastFailedWal: null, lastFailedTime: null, failing: false },
  readyFiles: 0,
  repository: { url: 'file:///r', reachable: true, stamped: true },
  backups: { count: 1, newest: { name: 'base_1', finishedAt: '2026-11-22T02:00:00Z', rawSize: 1, storedSize: 1, durationSeconds: 1 } },
  verification: { backup: 'base_1', result: 'verified', level: 'restore', finishedAt: '2026-11-22T04:00:00Z' },
  wal: { complete: true, missingCount: 0 },
  errors: [],
};
const texts = (status: Partial<ClusterStatus>) => {
  const { verdict, reasons } = judge({ ...healthy, ...status }, DEFAULT_THRESHOLDS, now);
  return [verdict, ...reasons.map((r) => r.text)];
};

test('a protected cluster is OK with no reason', () => {
  expect(texts({})).toEqual(['OK']);
});

test('age, proof and lag are WARNINGs', () => {
  expect(texts({ backups: { count: 1, newest: { ...healthy.backups!.newest!, finishedAt: '2026-11-21T06:00:00Z' } } })).toEqual(['WARNING', 'newest backup 30 h old']);
  expect(texts({ verification: null })).toEqual(['WARNING', 'never verified']);
  expect(texts({ readyFiles: 40 })).toEqual(['WARNING', '40 WAL files waiting to be archived']);
  expect(texts({ pgwardArchiving: false, archiveCommand: 'cp %p /mnt/%f' })).toEqual(['WARNING', 'archive_command is not pgward']);
});

test('what loses data is CRITICAL, and the worst reason decides', () => {
  expect(texts({ archiveMode: 'off' })[0]).toBe('CRITICAL');
  expect(texts({ archiveMode: 'off', settings: undefined, repository: undefined, backups: undefined, verification: undefined, wal: undefined })).toEqual([
    'CRITICAL',
    'not archived (archive_mode off)',
    'no backup (no pgward settings: neither archive_command nor /etc/pgward/<instance>.conf names a repository)',
  ]);
  expect(texts({ archiver: { ...healthy.archiver!, failing: true, lastFailedWal: '000000010000000000000011', lastFailedTime: '2026-11-22T11:59:30Z' }, repository: { url: 'file:///r', reachable: true, belongsTo: '15/other' } })).toEqual([
    'CRITICAL',
    'archiving failing: 000000010000000000000011 failed at 2026-11-22 11:59 (last success 2026-11-22 11:59; exit 4: the repository belongs to another cluster)',
    'repository file:///r belongs to another cluster (15/other)',
  ]);
  expect(texts({ verification: { ...healthy.verification!, result: 'failed', failedCheck: 'wal' }, readyFiles: 40 })).toEqual(['CRITICAL', '40 WAL files waiting to be archived', 'verification FAILED for base_1 (wal)']);
  expect(texts({ wal: { complete: false, missingCount: 2, firstMissing: '00000001000000000000000A' } })).toEqual(['CRITICAL', 'WAL gap at 00000001000000000000000A (2 segment(s) missing)']);
  expect(texts({ backups: { count: 0 }, verification: null })).toEqual(['CRITICAL', 'no complete backup']);
});

test('a standby with archive_mode on is archived by its primary, not by itself', () => {
  expect(texts({ standby: true, pgwardArchiving: false, archiveCommand: '' })).toEqual(['OK']);
});

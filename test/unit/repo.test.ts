import { describe, expect, test } from '@jest/globals';
import { backupPrefix, sentinelKey, walKey } from '../../src/repo/layout.js';
import { checkStamp, newStamp, parseStamp } from '../../src/repo/stamp.js';
import { RepoIdentityError, IntegrityError } from '../../src/errors/errors.js';

const A = { systemIdentifier: '7710695137008396876', pgMajor: '15', dataDirectory: '/var/lib/postgresql/15/main', clusterName: '15/main' };
const B = { systemIdentifier: '7710695143086439015', pgMajor: '17', dataDirectory: '/var/lib/postgresql/17/main', clusterName: '17/main' };

describe('layout', () => {
  test('wal-e / WAL-G compatible keys', () => {
    expect(walKey('000000010000000000000003', 'lz4')).toBe('wal_005/000000010000000000000003.lz4');
    expect(walKey('00000002.history', '')).toBe('wal_005/00000002.history');
    expect(backupPrefix('base_000000010000000000000004')).toBe('basebackups_005/base_000000010000000000000004/');
    expect(sentinelKey('base_X')).toBe('basebackups_005/base_X_backup_stop_sentinel.json');
  });
});

describe('stamp', () => {
  test('a stamp binds the system identifier and major: the stamping cluster passes, even moved, and only it', () => {
    const stamp = newStamp(A, new Date('2026-11-22T00:00:00Z'));
    expect(stamp).toMatchObject({ systemIdentifier: A.systemIdentifier, pgMajor: '15', dataDirectory: A.dataDirectory, createdAt: '2026-11-22T00:00:00.000Z', history: [] });
    expect(checkStamp(stamp, A, 's3://b/p')).toBeUndefined();
    // A data directory moved on the same host keeps its repository (the location check is separate).
    expect(checkStamp(stamp, { ...A, dataDirectory: '/srv/pg/15' }, 's3://b/p')).toBeUndefined();
    expect(() => checkStamp(stamp, { ...A, pgMajor: '16' }, 's3://b/p')).toThrow(RepoIdentityError);
  });

  test('another cluster is refused, naming both identities', () => {
    expect(() => checkStamp(newStamp(A), B, 's3://b/p')).toThrow(RepoIdentityError);
    expect(() => checkStamp(newStamp(A), B, 's3://b/p')).toThrow(/7710695137008396876 \(repository\) vs 7710695143086439015 \(cluster\).*PostgreSQL 15 \(repository\) vs 17/);
  });

  test('same system identifier, new major (pg_upgrade --link keeps it) is refused with the upgrade hint', () => {
    const upgraded = { ...A, pgMajor: '17' };
    try {
      checkStamp(newStamp(A), upgraded, 's3://b/p');
      throw new Error('not refused');
    } catch (err) {
      expect((err as RepoIdentityError).hint).toMatch(/pg_upgrade/);
    }
  });

  test('round trip and corrupt stamps', () => {
    const stamp = newStamp(A, new Date('2026-01-01T00:00:00Z'));
    expect(parseStamp(JSON.stringify(stamp), 'x')).toEqual(stamp);
    expect(() => parseStamp('{"format":"other"}', 's3://b/p/pgward.json')).toThrow(IntegrityError);
    expect(() => parseStamp('not json', 'x')).toThrow(/not a pgward stamp/);
  });
});

import { describe, expect, test } from '@jest/globals';
import { parseCheckSql } from '../../src/verify/check-sql.js';
import { verificationKey, verificationPrefix } from '../../src/repo/layout.js';

describe('--check-sql files', () => {
  test('statements end with ";" at a line end; comments skipped; "-- database:" switches the database', () => {
    const text = '-- orders are there\nSELECT count(*) > 0\n  FROM orders;\nSELECT true;\n-- database: shop\nSELECT 1 = 1\n';
    expect(parseCheckSql(text)).toEqual([
      { database: 'postgres', sql: 'SELECT count(*) > 0\n  FROM orders' },
      { database: 'postgres', sql: 'SELECT true' },
      { database: 'shop', sql: 'SELECT 1 = 1' },
    ]);
    expect(parseCheckSql('\n-- nothing\n')).toEqual([]);
  });
});

describe('verification record keys', () => {
  test('under the backup folder, in time order', () => {
    const a = verificationKey('base_1', new Date('2026-11-22T07:00:00.123Z'), 'restore');
    const b = verificationKey('base_1', new Date('2026-11-22T07:00:01.000Z'), 'files');
    expect(a).toBe('basebackups_005/base_1/verify/20261122T070000123Z-restore.json');
    expect(a.startsWith(verificationPrefix('base_1'))).toBe(true);
    expect(a < b).toBe(true);
  });
});

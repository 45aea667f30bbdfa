// check prints archive_command; credentials written inline in it must not reach its output.
import { describe, expect, test } from '@jest/globals';
import { maskSecrets } from '../../src/backup/archive-check.js';

describe('archive_command in check output', () => {
  test.each([
    ["AWS_SECRET_ACCESS_KEY=abc123 pgward wal-push %p", 'AWS_SECRET_ACCESS_KEY=[redacted] pgward wal-push %p'],
    ["env PGWARD_S3_SECRET_KEY='a b' PGPASSWORD=\"x\" pgward wal-push %p", 'env PGWARD_S3_SECRET_KEY=[redacted] PGPASSWORD=[redacted] pgward wal-push %p'],
    ["pgward --config /etc/pgward/15-main.conf wal-push %p", 'pgward --config /etc/pgward/15-main.conf wal-push %p'],
  ])('%s', (command, shown) => {
    expect(maskSecrets(command)).toBe(shown);
  });
});

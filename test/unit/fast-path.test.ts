import { describe, expect, test } from '@jest/globals';
import { parseFastPath } from '../../src/cli/fast-path.js';

describe('fast path for the per-WAL-file commands', () => {
  test('archive_command form', () => {
    expect(parseFastPath(['wal-push', 'pg_wal/000000010000000000000003'])).toEqual({ command: 'wal-push', args: { path: 'pg_wal/000000010000000000000003' } });
  });
  test('flags in both forms, before and after positionals', () => {
    expect(parseFastPath(['wal-fetch', '--config', '/etc/pgward/15-main.conf', '00000002.history', 'pg_wal/RECOVERYHISTORY', '--log-level=debug', '--debug'])).toEqual({
      command: 'wal-fetch',
      args: { config: '/etc/pgward/15-main.conf', segment: '00000002.history', destination: 'pg_wal/RECOVERYHISTORY', 'log-level': 'debug', debug: true },
    });
  });
  test('flags before the command (archive_command written as pgward --config FILE wal-push %p)', () => {
    expect(parseFastPath(['--config', '/etc/pgward/15-main.conf', 'wal-push', 'pg_wal/000000010000000000000003'])).toEqual({
      command: 'wal-push',
      args: { config: '/etc/pgward/15-main.conf', path: 'pg_wal/000000010000000000000003' },
    });
  });
  test.each([
    [['wal-push']],
    [['--config', 'x', 'cluster-info', '/data']],
    [['wal-push', 'a', 'b']],
    [['wal-push', '--unknown', 'x', 'a']],
    [['wal-push', 'a', '--config']],
    [['cluster-info', '/data']],
    [['--help']],
    [[]],
  ])('leaves %j to yargs', (argv) => expect(parseFastPath(argv)).toBeUndefined());
});

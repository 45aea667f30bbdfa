import { describe, expect, test } from '@jest/globals';
import { parsePostmasterPid, PostmasterPidParseError } from '../../src/cluster/postmaster-pid.js';

const PG15 = '2641\n/var/lib/postgresql/15/main\n1763750114\n5433\n/var/run/postgresql\nlocalhost\n  5433001         0\nready   \n';

describe('parsePostmasterPid', () => {
  test('a ready PostgreSQL 10+ file', () => {
    expect(parsePostmasterPid(PG15)).toEqual({
      pid: 2641,
      singleUser: false,
      dataDirectory: '/var/lib/postgresql/15/main',
      startTime: new Date(1763750114 * 1000),
      port: 5433,
      socketDirectory: '/var/run/postgresql',
      listenAddress: 'localhost',
      status: 'ready',
    });
  });

  test('a pre-10 file has 7 lines and no status', () => {
    const parsed = parsePostmasterPid('811\n/var/lib/postgresql/9.6/main\n1500000000\n5433\n/var/run/postgresql\n*\n  5433001   98304\n');
    expect(parsed).toMatchObject({ port: 5433, listenAddress: '*', status: 'unknown' });
  });

  test('no socket directory and no listen address are undefined, not empty strings', () => {
    const parsed = parsePostmasterPid('77\n/data\n1700000000\n5432\n\n\n  1 2\nstandby \n');
    expect(parsed.socketDirectory).toBeUndefined();
    expect(parsed.listenAddress).toBeUndefined();
    expect(parsed.status).toBe('standby');
  });

  test('a file caught early in start-up has no port yet', () => {
    const parsed = parsePostmasterPid('77\n/data\n1700000000\n');
    expect(parsed.port).toBeUndefined();
    expect(parsed.status).toBe('unknown');
  });

  test('a negative pid is a single-user backend', () => {
    expect(parsePostmasterPid('-4242\n/data\n1700000000\n5432\n')).toMatchObject({ pid: 4242, singleUser: true });
  });

  test.each([
    ['', /process id/],
    ['abc\n/data\n', /process id/],
    ['0\n/data\n', /process id/],
    ['12\n', /data directory/],
    ['12\n/data\n1700000000\n99999\n', /port/],
  ])('refuses %j', (text, message) => {
    expect(() => parsePostmasterPid(text)).toThrow(PostmasterPidParseError);
    expect(() => parsePostmasterPid(text)).toThrow(message);
  });
});

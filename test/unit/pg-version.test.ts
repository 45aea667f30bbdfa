import { describe, expect, test } from '@jest/globals';
import { majorFromVersionNum, parsePgVersion, PgVersionParseError } from '../../src/cluster/pg-version.js';
import { parseProcStat } from '../../src/cluster/postmaster-process.js';
import { clusterName } from '../../src/cluster/cluster-name.js';

describe('PG_VERSION', () => {
  test.each(['9.6\n', '10\n', '15\n', '17', '18\n'])('accepts %j', (text) => expect(parsePgVersion(text)).toBe(text.trim()));
  test.each(['', 'fifteen', '15.4', '1', '9'])('refuses %j', (text) => expect(() => parsePgVersion(text)).toThrow(/not a major version/));
  test.each(['99', '9.2', '20', '42'])('refuses %j, a release pgward does not know', (text) => {
    expect(() => parsePgVersion(text)).toThrow(PgVersionParseError);
    expect(() => parsePgVersion(text)).toThrow(/not a release this pgward supports/);
  });
});

describe('server_version_num to major', () => {
  test.each([
    [90624, '9.6'],
    [90410, '9.4'],
    [100023, '10'],
    [150018, '15'],
    [170010, '17'],
  ])('%i is %s', (num, major) => expect(majorFromVersionNum(num)).toBe(major));
});

describe('/proc/<pid>/stat', () => {
  test('a command name with spaces and parentheses', () => {
    const stat = '123 (my (odd) name) S 1 123 123 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 4242 1000 10';
    expect(parseProcStat(stat)).toEqual({ comm: 'my (odd) name', ppid: 1, startTicks: 4242 });
  });
});

describe('clusterName', () => {
  test('Debian layout gives version/name', () => expect(clusterName('/var/lib/postgresql/15/main', '15')).toBe('15/main'));
  test('a version folder that disagrees with PG_VERSION is not trusted', () =>
    expect(clusterName('/var/lib/postgresql/15/main', '17')).toBe('/var/lib/postgresql/15/main'));
  test('elsewhere, the data directory', () => expect(clusterName('/srv/pg/data', '17')).toBe('/srv/pg/data'));
});

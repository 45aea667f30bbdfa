// Which tablespace locations a restore may use: recorded ones must be absolute; none may lie inside
// the target, hold it, or overlap another tablespace's; --tablespace-map (by oid or old location) wins.
import { describe, expect, test } from '@jest/globals';
import { chooseLocations } from '../../src/backup/tablespace-locations.js';
import { isPlainRelativePath } from '../../src/backup/record-check.js';

const target = '/srv/restore/data';

describe('chooseLocations', () => {
  test('recorded, mapped by oid, mapped by old location', () => {
    const remap = new Map([['16385', '/srv/ts2'], ['/old/ts3', '/srv/ts3']]);
    const chosen = chooseLocations(
      [
        { oid: '16384', location: '/old/ts1' },
        { oid: '16385', location: '/old/ts2' },
        { oid: '16386', location: '/old/ts3' },
      ],
      remap,
      target,
    );
    expect(chosen).toEqual([
      { oid: '16384', location: '/old/ts1', recorded: true },
      { oid: '16385', location: '/srv/ts2', recorded: false },
      { oid: '16386', location: '/srv/ts3', recorded: false },
    ]);
  });

  test.each([
    ['a relative recorded location', [{ oid: '1', location: 'ts' }], /is not an absolute path/],
    ['inside the target', [{ oid: '1', location: '/srv/restore/data/base/ts' }], /lies inside the restore target/],
    ['the target itself', [{ oid: '1', location: '/srv/restore/data/' }], /lies inside the restore target/],
    ['holding the target', [{ oid: '1', location: '/srv' }], /contains the restore target/],
    ['two overlapping', [{ oid: '1', location: '/srv/ts' }, { oid: '2', location: '/srv/ts/inner' }], /overlaps tablespace 1/],
  ])('%s is refused with exit 10 and a hint naming --tablespace-map', (_what, tablespaces, message) => {
    let error: { exitCode?: number; hint?: string; message?: string } = {};
    try {
      chooseLocations(tablespaces, new Map(), target);
    } catch (err) {
      error = err as typeof error;
    }
    expect(error.message).toMatch(message);
    expect(error.exitCode).toBe(10);
    expect(error.hint).toMatch(/--tablespace-map \d+=DIR/);
  });

  test('a mapping that names no tablespace of the backup is a usage error (exit 2) listing the real ones', () => {
    expect(() => chooseLocations([{ oid: '16384', location: '/old/ts1' }], new Map([['16385', '/srv/ts']]), target)).toThrow(
      expect.objectContaining({ exitCode: 2, message: '--tablespace-map 16385=... names no tablespace of this backup', hint: "the backup's tablespaces are: 16384 (/old/ts1)" }),
    );
  });

  test('a sibling whose name starts like the target is not inside it', () => {
    expect(chooseLocations([{ oid: '1', location: '/srv/restore/data2' }], new Map(), target)).toHaveLength(1);
  });
});

test.each([
  ['base/1/1259', true],
  ['PG_VERSION', true],
  ['..data', true],
  ['../x', false],
  ['a/../b', false],
  ['/etc/passwd', false],
  ['a//b', false],
  ['./a', false],
  ['a/', false],
  ['', false],
  ['a\\b', false],
])('isPlainRelativePath(%j) is %s', (name, plain) => {
  expect(isPlainRelativePath(name)).toBe(plain);
});

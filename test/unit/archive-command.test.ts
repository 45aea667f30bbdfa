import { expect, test } from '@jest/globals';
import { parseArchiveCommand, shellWords } from '../../src/status/archive-command.js';

test('shell words: quotes and backslashes, no expansion', () => {
  expect(shellWords(`'/usr/bin/node' "/opt/pg ward/bin/pgward.js" --config=/etc/a\\ b.conf wal-push %p`)).toEqual(['/usr/bin/node', '/opt/pg ward/bin/pgward.js', '--config=/etc/a b.conf', 'wal-push', '%p']);
});

test.each([
  ['pgward wal-push %p', {}],
  ["'/usr/bin/node' '/srv/pgward/bin/pgward.js' --config '/etc/pgward/15-main.conf' wal-push %p", { configFile: '/etc/pgward/15-main.conf' }],
  ['/usr/bin/pgward --envdir=/etc/wal-e.d/env wal-push %p', { envdir: '/etc/wal-e.d/env' }],
  ['envdir /etc/wal-e.d/env /usr/local/bin/pgward wal-push %p', { envdir: '/etc/wal-e.d/env' }],
  ['/usr/lib/pgward/pgward-wal push %p', {}],
])('%s is pgward', (command, expected) => {
  expect(parseArchiveCommand(command)).toEqual(expected);
});

test.each(['', 'cp %p /mnt/archive/%f', 'pgbackrest --stanza=main archive-push %p', 'envdir /etc/wal-e.d/env wal-e wal-push %p', 'pgward wal-fetch %f %p'])('%j is not pgward', (command) => {
  expect(parseArchiveCommand(command)).toBeUndefined();
});

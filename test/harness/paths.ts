// Where the harness finds things: the repository root, the pgward entry point, PostgreSQL binaries
// per major (Debian's 15, embedded 13 and 17 from npm) and the folder all test servers live under.
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
export const PGWARD_BIN = join(REPO_ROOT, 'bin', 'pgward.js');
/** Short on purpose: socket paths must stay under 107 bytes. */
export const TEST_ROOT = process.env.PGWARD_TEST_ROOT ?? '/tmp/pgward-test';

export const PG_BIN_DIRS: Record<string, string> = {
  '13': join(REPO_ROOT, 'node_modules', 'pg13', 'native', 'bin'),
  '15': '/usr/lib/postgresql/15/bin',
  '17': join(REPO_ROOT, 'node_modules', 'pg17', 'native', 'bin'),
};

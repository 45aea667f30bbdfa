// Where the harness finds things: the repository root, the pgward entry point, PostgreSQL binaries
// per major (Debian's 15, embedded 13 and 17 from npm) and the folder this run's servers live under.
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
export const PGWARD_BIN = join(REPO_ROOT, 'bin', 'pgward.js');
/** Every run root starts with this; short on purpose: socket paths must stay under 107 bytes. */
export const RUN_ROOT_PREFIX = '/tmp/pgw-';
/**
 * This run's own folder. jest's global set-up creates a fresh one and passes it to the workers through
 * PGWARD_TEST_ROOT; a script run on its own (demo, bench) gets one named after its pid. Never a fixed
 * path: two checkouts on one host must not stop or delete each other's servers.
 */
export const TEST_ROOT = process.env.PGWARD_TEST_ROOT ?? `${RUN_ROOT_PREFIX}${process.pid}`;
/** Written into a run root: the pid of the process that owns it, so a later run can tell it was abandoned. */
export const OWNER_FILE = 'owner.pid';

export const PG_BIN_DIRS: Record<string, string> = {
  '13': join(REPO_ROOT, 'node_modules', 'pg13', 'native', 'bin'),
  '15': '/usr/lib/postgresql/15/bin',
  '17': join(REPO_ROOT, 'node_modules', 'pg17', 'native', 'bin'),
};

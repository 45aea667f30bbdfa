// The PostgreSQL binaries a verification starts: the backup's own major, from --pg-bin,
// PGWARD_PG_BIN_<major>, or Debian's /usr/lib/postgresql/<major>/bin, first found wins. A server of
// another major cannot read the backup's files (or would be a different test), so it is refused.
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { UsageError } from '../errors/errors.js';

export interface PgBinaries {
  dir: string;
  version: string;
  /** pg_amcheck and pg_checksums, where this installation has them */
  has(tool: string): boolean;
  path(tool: string): string;
}

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export async function findPgBinaries(major: string, given: string | undefined, env: NodeJS.ProcessEnv): Promise<PgBinaries> {
  // An explicit choice is used or refused, never passed over for another.
  const fromEnv = env[`PGWARD_PG_BIN_${major}`];
  const [dir, source] = given ? [given, '--pg-bin'] : fromEnv ? [fromEnv, `PGWARD_PG_BIN_${major}`] : [`/usr/lib/postgresql/${major}/bin`, 'the Debian location'];
  if (!executable(join(dir, 'postgres'))) {
    throw new UsageError(`no PostgreSQL server binary in ${dir} (${source})`, {
      hint: `install PostgreSQL ${major} (apt-get install postgresql-${major}), or name its bin directory with --pg-bin or PGWARD_PG_BIN_${major}`,
    });
  }
  const { stdout } = await execa(join(dir, 'postgres'), ['--version'], { reject: false });
  const version = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(stdout);
  const found = version ? version[1]! : undefined;
  if (found !== major) {
    throw new UsageError(`${join(dir, 'postgres')} (${source}) is PostgreSQL ${found ?? `of unknown version (${stdout.trim() || 'no --version output'})`}, the backup needs PostgreSQL ${major}`, {
      hint: `a backup is verified by a server of its own major: point --pg-bin or PGWARD_PG_BIN_${major} at PostgreSQL ${major}'s bin directory`,
    });
  }
  return { dir, version: stdout.trim(), has: (tool) => executable(join(dir, tool)), path: (tool) => join(dir, tool) };
}

// Reading the identity files of a data directory, turning every failure into a ClusterUnusableError
// that says what is wrong with which file and what to do.
import { realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ClusterUnusableError } from '../errors/errors.js';
import { NotARegularFileError, readBounded } from './bounded-read.js';
import { parsePgControl, PgControlParseError, type PgControl } from './pg-control.js';
import { parsePgVersion, PgVersionParseError } from './pg-version.js';
import { parsePostmasterPid, PostmasterPidParseError, type PostmasterPid } from './postmaster-pid.js';

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

// Upper bounds far above what PostgreSQL writes (pg_control is 8192 bytes, PG_VERSION a few bytes,
// postmaster.pid a few hundred), so only a file that is not what it claims to be is refused.
const MAX_PG_VERSION = 64;
const MAX_PG_CONTROL = 8192;
const MAX_POSTMASTER_PID = 64 * 1024;

function unreadable(path: string, err: unknown): ClusterUnusableError {
  if (err instanceof NotARegularFileError) {
    return new ClusterUnusableError(err.message, {
      hint: 'this is not a usable data directory: put the real file back (or restore the data directory) before using it',
    });
  }
  const code = errnoOf(err);
  if (code === 'EACCES' || code === 'EPERM') {
    return new ClusterUnusableError(`cannot read ${path}: permission denied`, {
      hint: "run pgward as the cluster's owner (usually postgres) or as root",
      cause: err,
    });
  }
  return new ClusterUnusableError(`cannot read ${path}: ${code ?? String(err)}`, {
    hint: 'check the data directory and its filesystem',
    cause: err,
  });
}

export async function resolveDataDirectory(given: string): Promise<string> {
  let resolved: string;
  try {
    resolved = await realpath(given);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') {
      throw new ClusterUnusableError(`data directory ${given} does not exist`, {
        hint: 'give the data directory of a cluster, e.g. /var/lib/postgresql/15/main (pgward clusters lists them)',
      });
    }
    throw unreadable(given, err);
  }
  const info = await stat(resolved).catch((err: unknown) => {
    throw unreadable(resolved, err);
  });
  if (!info.isDirectory()) {
    throw new ClusterUnusableError(`${given} is not a directory`, {
      hint: 'give the data directory (the folder holding PG_VERSION), e.g. /var/lib/postgresql/15/main',
    });
  }
  return resolved;
}

export async function readPgVersion(dataDirectory: string): Promise<string> {
  const path = join(dataDirectory, 'PG_VERSION');
  let text: string;
  try {
    text = (await readBounded(path, MAX_PG_VERSION)).toString('utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') {
      const debianConfig = await stat(join(dataDirectory, 'postgresql.conf')).then(() => true, () => false);
      throw new ClusterUnusableError(`${dataDirectory} is not a PostgreSQL data directory (no PG_VERSION)`, {
        hint: debianConfig
          ? 'this looks like a configuration folder; the data directory is data_directory in its postgresql.conf'
          : 'give the data directory of a cluster (pgward clusters lists them)',
      });
    }
    throw unreadable(path, err);
  }
  try {
    return parsePgVersion(text);
  } catch (err) {
    if (!(err instanceof PgVersionParseError)) throw err;
    if (err.unsupported) {
      throw new ClusterUnusableError(`${path}: ${err.message}`, {
        hint: 'a newer PostgreSQL needs a newer pgward; if the file was changed by hand, put back the version the cluster was created with',
      });
    }
    throw new ClusterUnusableError(`${path} is damaged: ${err.message}`, {
      hint: 'this is not a usable data directory; do not back it up until PG_VERSION is repaired',
    });
  }
}

export async function readPgControl(dataDirectory: string): Promise<PgControl> {
  const path = join(dataDirectory, 'global', 'pg_control');
  let buf: Buffer;
  try {
    buf = await readBounded(path, MAX_PG_CONTROL);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') {
      throw new ClusterUnusableError(`${path} is missing`, {
        hint: 'the data directory is incomplete (an interrupted copy or initdb?); it cannot be backed up',
      });
    }
    throw unreadable(path, err);
  }
  try {
    return parsePgControl(buf);
  } catch (err) {
    if (!(err instanceof PgControlParseError)) throw err;
    const what = err.problem === 'crc-mismatch' ? 'is corrupt (CRC-32C mismatch)' : err.problem === 'truncated' ? 'is truncated' : 'is not a pg_control file';
    throw new ClusterUnusableError(`${path} ${what}: ${err.message}`, {
      hint: 'do not trust this data directory: check the disk, compare with pg_controldata, restore from a backup if needed',
    });
  }
}

/** postmaster.pid, or undefined when there is none (the cluster is not running). */
export async function readPostmasterPid(dataDirectory: string): Promise<PostmasterPid | undefined> {
  const path = join(dataDirectory, 'postmaster.pid');
  let text: string;
  try {
    text = (await readBounded(path, MAX_POSTMASTER_PID)).toString('utf8');
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return undefined;
    throw unreadable(path, err);
  }
  try {
    return parsePostmasterPid(text);
  } catch (err) {
    if (!(err instanceof PostmasterPidParseError)) throw err;
    throw new ClusterUnusableError(`${path} is damaged: ${err.message}`, {
      hint: 'if no server runs on this data directory, PostgreSQL replaces the file at its next start',
    });
  }
}

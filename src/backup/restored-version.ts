// The major a restored data directory is of, from its own PG_VERSION, must be the one the sentinel
// records: the recovery settings (recovery.conf before 12, recovery.signal from 12) are chosen by
// the sentinel's version, and a mismatch would leave a configuration the server refuses to start with.
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { parsePgVersion } from '../cluster/pg-version.js';
import { IntegrityError } from '../errors/errors.js';
import type { BackupSentinel } from './manifest.js';

const HINT = 'the backup record does not match its data, so no recovery configuration was written; use another backup';

/** Reads at most 64 bytes: the restored file came from the repository and may be anything. */
async function readSmall(path: string): Promise<string | undefined> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const buffer = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

export async function checkRestoredVersion(target: string, sentinel: BackupSentinel): Promise<void> {
  const text = await readSmall(join(target, 'PG_VERSION'));
  if (text === undefined) throw new IntegrityError(`backup ${sentinel.name} restored no PG_VERSION into ${target}`, { hint: HINT });
  let major: string;
  try {
    major = parsePgVersion(text);
  } catch (err) {
    throw new IntegrityError(`the PG_VERSION restored from backup ${sentinel.name}: ${(err as Error).message}`, { hint: HINT, cause: err });
  }
  if (major !== sentinel.pgMajor) {
    throw new IntegrityError(`backup ${sentinel.name} records PostgreSQL ${sentinel.pgMajor}, but its restored PG_VERSION says ${major}`, { hint: HINT });
  }
}

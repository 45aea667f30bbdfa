// The folder a backup is restored into must be absent or empty, writable, and never one a server is
// running in; every failure to write it is a RestoreTargetError naming the path and the cause. Every
// entry name is checked to stay inside it; one that would not is the backup's fault (IntegrityError).
// What a failed restore wrote is removed again.
import { access, chmod, chown, constants, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative, resolve, dirname } from 'node:path';
import { IntegrityError, PgwardError, RestoreTargetError } from '../errors/errors.js';

export interface DirectoryOwner {
  uid: number;
  gid: number;
}

/** A directory made ready for a restore; `created` is the topmost directory this restore created. */
export interface PreparedDirectory {
  path: string;
  created?: string;
}

const CAUSES: Record<string, { what: string; hint: string }> = {
  ENOSPC: { what: 'no space left on device', hint: 'free space on that file system or restore onto a larger one; the backup itself is intact' },
  EDQUOT: { what: 'disk quota exceeded', hint: "raise the owner's quota or restore elsewhere; the backup itself is intact" },
  EACCES: { what: 'permission denied', hint: 'run backup-fetch as a user that may write there (as root it hands the files to --owner), or restore elsewhere' },
  EPERM: { what: 'operation not permitted', hint: 'run backup-fetch as a user that may write there (as root it hands the files to --owner), or restore elsewhere' },
  EROFS: { what: 'read-only file system', hint: 'remount the file system read-write or restore elsewhere' },
  EIO: { what: 'input/output error', hint: 'the target disk is failing; check the kernel log and restore elsewhere' },
  ENOTDIR: { what: 'a path component is not a directory', hint: 'give a target whose parents are directories' },
  EEXIST: { what: 'it already exists', hint: 'restore into an empty or absent directory' },
  EMFILE: { what: 'too many open files', hint: 'raise the open-file limit (ulimit -n) and run backup-fetch again' },
  ENAMETOOLONG: { what: 'file name too long', hint: 'restore into a shorter path' },
};

/** A failure writing `path` of the restore target, named by its errno code. */
export function targetError(path: string, err: unknown): PgwardError {
  if (err instanceof PgwardError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  const cause = CAUSES[code] ?? { what: (err as Error).message ?? String(err), hint: 'check the target file system and run backup-fetch again' };
  return new RestoreTargetError(`cannot write ${path}: ${code} (${cause.what})`, { hint: cause.hint, cause: err });
}

/** Runs a file system operation on the restore target, typing its failure. */
export async function onTarget<T>(path: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw targetError(path, err);
  }
}

/**
 * Creates `dir` (0700) and any missing parents. Parents are made 0755 and, as root, handed to the
 * owner of the restored files, as if that user had run mkdir -p: PostgreSQL, started as the owner,
 * must be able to reach its data directory.
 */
async function createDirectory(dir: string, owner: DirectoryOwner | undefined): Promise<string | undefined> {
  const created = await onTarget(dir, () => mkdir(dir, { recursive: true, mode: 0o700 }));
  if (created === undefined) return undefined;
  for (let path = dir; ; path = dirname(path)) {
    await onTarget(path, async () => {
      if (path !== dir) await chmod(path, 0o755);
      if (owner) await chown(path, owner.uid, owner.gid);
    });
    if (path === created || path === dirname(path)) break;
  }
  return created;
}

export async function prepareEmptyDirectory(dir: string, what: string, owner?: DirectoryOwner): Promise<PreparedDirectory> {
  const info = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new RestoreTargetError(`cannot use ${what} ${dir}: ${err.code}`, { hint: 'check the path and permissions', cause: err });
  });
  if (!info) return { path: dir, created: await createDirectory(dir, owner) };
  if (!info.isDirectory()) throw new RestoreTargetError(`${what} ${dir} is not a directory`, { hint: 'give an absent or empty directory' });
  const pidText = await readFile(join(dir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  if (pidText !== undefined) {
    const pid = Number(pidText.split('\n')[0]);
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch (err) {
      alive = (err as NodeJS.ErrnoException).code === 'EPERM';
    }
    if (alive) {
      throw new RestoreTargetError(`${what} ${dir} belongs to a running server (postmaster.pid, pid ${pid})`, {
        hint: 'never restore over a running cluster: stop it, or restore somewhere else',
      });
    }
  }
  const entries = await onTarget(dir, () => readdir(dir));
  if (entries.length > 0) {
    throw new RestoreTargetError(`${what} ${dir} is not empty (${entries.length} entries)`, {
      hint: 'restore into an empty or absent directory; move the old data aside first if you mean to replace it',
    });
  }
  // Before anything is downloaded: an unwritable target would otherwise fail at its first file.
  await access(dir, constants.W_OK | constants.X_OK).catch((err: NodeJS.ErrnoException) => {
    throw new RestoreTargetError(`${what} ${dir} is not writable: ${err.code}`, {
      hint: `${(CAUSES[err.code ?? ''] ?? CAUSES.EACCES!).hint}`,
      cause: err,
    });
  });
  return { path: dir };
}

/**
 * The first existing parent of `dir` that `owner` cannot search (no x bit for it as owner, primary
 * group or other), e.g. /root: PostgreSQL started as the owner could not reach its data directory.
 * Supplementary groups and ACLs are not consulted, so this is a warning, not a refusal.
 */
export async function unreachableParent(dir: string, owner: DirectoryOwner): Promise<{ path: string; mode: number; uid: number } | undefined> {
  for (let path = dirname(dir); ; path = dirname(path)) {
    const info = await stat(path).catch(() => undefined);
    if (info) {
      const bit = info.uid === owner.uid ? 0o100 : info.gid === owner.gid ? 0o010 : 0o001;
      if ((info.mode & bit) === 0) return { path, mode: info.mode & 0o7777, uid: info.uid };
    }
    if (path === dirname(path)) return undefined;
  }
}

/**
 * Removes what a failed restore wrote: the directories it created, or the contents of the ones that
 * were empty before it began. Returns the paths it could not remove.
 */
export async function removeRestored(prepared: PreparedDirectory[]): Promise<string[]> {
  const left: string[] = [];
  for (const dir of prepared) {
    const paths = dir.created ? [dir.created] : (await readdir(dir.path).catch(() => [])).map((name) => join(dir.path, name));
    for (const path of paths) await rm(path, { recursive: true, force: true }).catch(() => left.push(path));
  }
  return left;
}

/**
 * The path of a tar entry under root, refusing absolute names and anything that climbs out. Such an
 * entry is in the backup, not a fault of the target: an integrity failure, before anything is written.
 */
export function pathInside(root: string, name: string): string {
  const clean = normalize(name).replace(/\/+$/, '');
  const full = resolve(root, clean);
  const rel = relative(root, full);
  if (name === '' || name.includes('\0') || isAbsolute(name) || clean.split('/').includes('..') || rel === '..' || rel.startsWith('../') || isAbsolute(rel)) {
    throw new IntegrityError(`backup entry ${JSON.stringify(name.slice(0, 200))} would be written outside ${root}`, {
      hint: 'the backup is damaged or was not written by pgward; it was not restored; use another backup',
    });
  }
  return full;
}

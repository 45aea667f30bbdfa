// The folder a backup is restored into must be absent or empty, and never one a server is running
// in; every path written under it is checked to stay inside it.
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative, resolve, dirname } from 'node:path';
import { RestoreTargetError } from '../errors/errors.js';

export async function prepareEmptyDirectory(dir: string, what: string): Promise<void> {
  const info = await stat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw new RestoreTargetError(`cannot use ${what} ${dir}: ${err.code}`, { hint: 'check the path and permissions', cause: err });
  });
  if (!info) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return;
  }
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
  const entries = await readdir(dir);
  if (entries.length > 0) {
    throw new RestoreTargetError(`${what} ${dir} is not empty (${entries.length} entries)`, {
      hint: 'restore into an empty or absent directory; move the old data aside first if you mean to replace it',
    });
  }
}

/** The path of a tar entry under root, refusing absolute names and anything that climbs out. */
export function pathInside(root: string, name: string): string {
  const clean = normalize(name).replace(/\/+$/, '');
  if (name === '' || isAbsolute(name) || clean === '..' || clean.startsWith('../') || clean.split('/').includes('..')) {
    throw new RestoreTargetError(`backup entry ${JSON.stringify(name)} would be written outside ${root}`, {
      hint: 'the backup is damaged or was not written by pgward; it was not restored',
    });
  }
  const full = resolve(root, clean);
  const rel = relative(root, full);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new RestoreTargetError(`backup entry ${JSON.stringify(name)} would be written outside ${root}`, { hint: 'the backup is damaged; it was not restored' });
  }
  return full;
}

/** A symbolic link in the backup may only point inside the restored tree. */
export function checkLinkInside(root: string, linkPath: string, target: string): void {
  const resolved = isAbsolute(target) ? target : resolve(dirname(linkPath), target);
  const rel = relative(root, resolved);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new RestoreTargetError(`backup link ${relative(root, linkPath)} -> ${target} points outside ${root}`, {
      hint: 'links out of the data directory are not restored; the backup is damaged or was not written by pgward',
    });
  }
}

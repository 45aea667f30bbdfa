// Lists what a base backup holds: every folder, file and symbolic link of the data directory and of
// each tablespace (reached through pg_tblspc/<oid>), with the exclusions of exclusions.ts. Any other
// symbolic link (a pg_log or a config file linked elsewhere) is followed and its contents backed up
// under the link's name, as pgBackRest restores links by default: they come back as plain folders and
// files, because a restore takes no links from a backup (it would be a way to write outside the
// target). Only
// metadata is gathered here, so the total size is known before streaming starts (progress and ETA).
// Entry names are data-directory relative; tablespace contents appear under pg_tblspc/<oid>/.
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ClusterUnusableError } from '../errors/errors.js';
import { isDatabaseDir, isExcludedFile, isTempDir, keepsContents, unloggedExclusions } from './exclusions.js';

export interface BackupEntry {
  /** tar name, relative to the data directory */
  name: string;
  path: string;
  type: 'file' | 'directory' | 'symlink';
  size: number;
  mode: number;
  mtime: Date;
  linkTarget?: string;
}

export interface Tablespace {
  oid: string;
  location: string;
}

export interface BackupPlan {
  entries: BackupEntry[];
  tablespaces: Tablespace[];
  /** links other than tablespaces and pg_wal, backed up as what they point to */
  followedLinks: Array<{ name: string; target: string }>;
  totalBytes: number;
}

interface Walk {
  /** the data directory's realpath: a link back into it is refused (a loop, or data twice) */
  dataDirectory: string;
  followedLinks: Array<{ name: string; target: string }>;
}

const isMissing = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * A file or folder of the data directory that cannot be read (a root-owned file left in PGDATA, a
 * folder without rights) ends the backup with the path named: a backup that silently lacked it could
 * not be restored.
 */
export function unreadableEntry(path: string, err: unknown): ClusterUnusableError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message;
  return new ClusterUnusableError(`cannot read ${path} in the data directory: ${why}`, {
    hint: code === 'EACCES' || code === 'EPERM'
      ? 'everything in the data directory must be readable by its owner, the user backup-push runs as: chown it to the owner (e.g. chown postgres:postgres), or move it out if it does not belong there; then run backup-push again'
      : 'check the file system under the data directory, then run backup-push again',
    cause: err,
  });
}

async function walkDir(root: string, rel: string, entries: BackupEntry[], topLevel: boolean, walk: Walk): Promise<void> {
  let names: string[];
  try {
    names = (await readdir(join(root, rel))).sort();
  } catch (err) {
    if (isMissing(err)) return; // dropped during the backup: WAL replay recreates what matters
    throw unreadableEntry(join(root, rel), err);
  }
  const unlogged = isDatabaseDir(rel) ? unloggedExclusions(names) : new Set<string>();
  for (const name of names) {
    const relPath = rel ? `${rel}/${name}` : name;
    const path = join(root, relPath);
    let info;
    try {
      info = await lstat(path);
    } catch (err) {
      if (isMissing(err)) continue;
      throw unreadableEntry(path, err);
    }
    if (info.isDirectory()) {
      if (isTempDir(name)) continue;
      entries.push({ name: relPath, path, type: 'directory', size: 0, mode: info.mode & 0o7777, mtime: info.mtime });
      if (topLevel && !keepsContents(name)) {
        // pg_wal keeps its archive_status folder (empty), as pg_basebackup does.
        if (name === 'pg_wal' || name === 'pg_xlog') entries.push({ name: `${relPath}/archive_status`, path: join(path, 'archive_status'), type: 'directory', size: 0, mode: info.mode & 0o7777, mtime: info.mtime });
        continue;
      }
      await walkDir(root, relPath, entries, false, walk);
    } else if (info.isSymbolicLink()) {
      if (topLevel && name === 'pg_wal') {
        // A pg_wal moved with initdb -X: backed up as an empty folder, like pg_basebackup.
        entries.push({ name: relPath, path, type: 'directory', size: 0, mode: 0o700, mtime: info.mtime });
        entries.push({ name: `${relPath}/archive_status`, path, type: 'directory', size: 0, mode: 0o700, mtime: info.mtime });
        continue;
      }
      const linkTarget = await readlink(path).catch((err: unknown) => {
        throw unreadableEntry(path, err);
      });
      if (/^pg_tblspc\/\d+$/.test(relPath)) entries.push({ name: relPath, path, type: 'symlink', size: 0, mode: 0o777, mtime: info.mtime, linkTarget });
      else await followLink(relPath, path, linkTarget, entries, walk);
    } else if (info.isFile()) {
      if (isExcludedFile(name, topLevel) || unlogged.has(name)) continue;
      entries.push({ name: relPath, path, type: 'file', size: info.size, mode: info.mode & 0o7777, mtime: info.mtime });
    }
  }
}

async function followLink(relPath: string, path: string, linkTarget: string, entries: BackupEntry[], walk: Walk): Promise<void> {
  let target: string;
  try {
    target = await realpath(path);
  } catch (err) {
    if (isMissing(err)) return; // a dangling link holds nothing to restore
    throw unreadableEntry(path, err);
  }
  const fromData = relative(walk.dataDirectory, target);
  if (!fromData.startsWith('..') || relative(target, walk.dataDirectory).split('/').every((part) => part === '..')) {
    throw new ClusterUnusableError(`${path} is a symbolic link to ${linkTarget}, inside or above the data directory`, {
      hint: 'a link back into the data directory would back its files up twice or loop; replace the link with what it points to, then run backup-push again',
    });
  }
  const info = await stat(target).catch((err: unknown) => {
    throw unreadableEntry(target, err);
  });
  walk.followedLinks.push({ name: relPath, target: linkTarget });
  if (info.isFile()) {
    entries.push({ name: relPath, path: target, type: 'file', size: info.size, mode: info.mode & 0o7777, mtime: info.mtime });
  } else if (info.isDirectory()) {
    entries.push({ name: relPath, path: target, type: 'directory', size: 0, mode: info.mode & 0o7777, mtime: info.mtime });
    const inner: BackupEntry[] = [];
    await walkDir(target, '', inner, false, walk);
    for (const entry of inner) entries.push({ ...entry, name: `${relPath}/${entry.name}` });
  }
}

export async function planBackup(dataDirectory: string): Promise<BackupPlan> {
  const entries: BackupEntry[] = [];
  const walk: Walk = { dataDirectory: await realpath(dataDirectory), followedLinks: [] };
  await walkDir(dataDirectory, '', entries, true, walk);
  // pg_tblspc/<oid> links become tablespaces: their contents are walked under pg_tblspc/<oid>/.
  const tablespaces: Tablespace[] = [];
  const links = entries.filter((e) => e.type === 'symlink' && /^pg_tblspc\/\d+$/.test(e.name));
  for (const link of links) {
    const oid = link.name.slice('pg_tblspc/'.length);
    const location = link.linkTarget!;
    tablespaces.push({ oid, location });
    const inner: BackupEntry[] = [];
    await walkDir(location, '', inner, false, walk);
    const index = entries.indexOf(link);
    entries.splice(index, 1);
    for (const entry of inner) entries.push({ ...entry, name: `${link.name}/${entry.name}` });
  }
  // pg_control last, after everything else, as PostgreSQL's own base backup does.
  const controlIndex = entries.findIndex((e) => e.name === 'global/pg_control');
  if (controlIndex >= 0) entries.push(...entries.splice(controlIndex, 1));
  else entries.push({ name: 'global/pg_control', path: join(dataDirectory, 'global', 'pg_control'), type: 'file', size: (await stat(join(dataDirectory, 'global', 'pg_control'))).size, mode: 0o600, mtime: new Date() });
  const totalBytes = entries.reduce((sum, e) => sum + e.size, 0);
  return { entries, tablespaces, followedLinks: walk.followedLinks, totalBytes };
}

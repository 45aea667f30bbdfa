// The scratch directory a verification restores into: <base>/run-<pid>/ under PGWARD_VERIFY_DIR
// (default /var/tmp/pgward-verify), holding the data directory, tablespaces, the private socket
// directory and the server log. The pid in the name lets a later run recognise the scratch of a run
// that crashed (its pid is gone): that one's server, if any, is stopped by the pid in its own
// postmaster.pid and the folder removed. The base is refused before anything is restored when its
// file system lacks the space the backup needs.
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { chown, mkdir, readdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { RestoreTargetError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { formatBytes } from '../log/progress.js';
import type { Owner } from '../backup/extract.js';
import { stopPostmaster } from './postmaster-stop.js';

export const DEFAULT_VERIFY_DIR = '/var/tmp/pgward-verify';
const RUN = /^run-(\d+)$/;

export interface Scratch {
  path: string;
  dataDirectory: string;
  socketDirectory: string;
  logFile: string;
  tablespace(oid: string): string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The postmaster running in a scratch data directory: the pid in postmaster.pid, if it really is that server. */
export function postmasterIn(dataDirectory: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return pid > 0 && readlinkSync(`/proc/${pid}/cwd`) === dataDirectory ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Removes the scratch of earlier runs whose process is gone, stopping their server first. */
export async function removeAbandoned(base: string, log: Logger): Promise<string[]> {
  if (!existsSync(base)) return [];
  const removed: string[] = [];
  for (const entry of await readdir(base)) {
    const match = RUN.exec(entry);
    if (!match || Number(match[1]) === process.pid || alive(Number(match[1]))) continue;
    const path = join(base, entry);
    const server = postmasterIn(join(path, 'data'));
    if (server !== undefined) await stopPostmaster(server, 30_000);
    await rm(path, { recursive: true, force: true });
    removed.push(path);
    log.warn({ scratch: path, stoppedServer: server }, `removed ${path}, the scratch of a backup-verify that did not finish (pid ${match[1]} is gone)${server ? `; its server (pid ${server}) was stopped` : ''}`);
  }
  return removed;
}

/** Refuses, before anything is written, a base whose file system has less than `needed` bytes free. */
export async function checkSpace(base: string, needed: number): Promise<number> {
  const fs = await statfs(base);
  const free = fs.bavail * fs.bsize;
  if (free < needed) {
    throw new RestoreTargetError(`the scratch directory ${base} has ${formatBytes(free)} free, the verification needs ${formatBytes(needed)} (the backup's files and its WAL)`, {
      hint: 'free space there, or point PGWARD_VERIFY_DIR at a file system with room for a restore of this backup',
    });
  }
  return free;
}

export async function createScratch(base: string, owner: Owner | undefined): Promise<Scratch> {
  await mkdir(base, { recursive: true, mode: 0o755 }).catch((err: NodeJS.ErrnoException) => {
    throw new RestoreTargetError(`cannot create the scratch directory ${base}: ${err.code ?? err.message}`, { hint: 'set PGWARD_VERIFY_DIR to a directory pgward may write', cause: err });
  });
  const path = join(base, `run-${process.pid}`);
  await rm(path, { recursive: true, force: true });
  await mkdir(join(path, 's'), { recursive: true, mode: 0o700 });
  // PostgreSQL, started as the owner, writes its socket and log here.
  if (owner) for (const dir of [path, join(path, 's')]) await chown(dir, owner.uid, owner.gid);
  return {
    path,
    dataDirectory: join(path, 'data'),
    socketDirectory: join(path, 's'),
    logFile: join(path, 'server.log'),
    tablespace: (oid) => join(path, 'ts', oid),
  };
}

export async function removeScratch(scratch: Scratch): Promise<void> {
  await rm(scratch.path, { recursive: true, force: true, maxRetries: 3 });
}

// Is the pid in postmaster.pid really this cluster's postmaster? A pid can be dead (crash, kill -9),
// or reused by an unrelated process, or by another cluster's postgres (a data directory copied with
// cp -a from a running cluster carries the original's postmaster.pid). Linux /proc answers:
// the command name must be postgres/postmaster, and its working directory, which the postmaster sets
// to its data directory, must be this one. When /proc/<pid>/cwd is not readable (another user, not
// root), the process start time is compared with the one recorded in postmaster.pid instead.
import { readFile, readlink, realpath } from 'node:fs/promises';
import type { PostmasterPid } from './postmaster-pid.js';

export type ProcessCheck =
  | { state: 'alive' }
  | { state: 'dead' }
  | { state: 'other'; description: string };

const CLOCK_TICKS_PER_SECOND = 100;
const START_TIME_TOLERANCE_SECONDS = 5;

export interface ProcStat {
  comm: string;
  ppid: number;
  startTicks: number;
}

export function parseProcStat(text: string): ProcStat {
  // comm may hold spaces and parentheses: it ends at the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' ');
  return { comm, ppid: Number(fields[1]), startTicks: Number(fields[19]) };
}

async function bootTime(): Promise<number> {
  const stat = await readFile('/proc/stat', 'utf8');
  return Number(/^btime (\d+)$/m.exec(stat)?.[1] ?? 0);
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function checkPostmasterProcess(pidFile: PostmasterPid, dataDirectory: string): Promise<ProcessCheck> {
  if (!pidExists(pidFile.pid)) return { state: 'dead' };
  let stat: ProcStat;
  try {
    stat = parseProcStat(await readFile(`/proc/${pidFile.pid}/stat`, 'utf8'));
  } catch {
    return { state: 'dead' };
  }
  if (stat.comm !== 'postgres' && stat.comm !== 'postmaster') {
    return { state: 'other', description: `pid ${pidFile.pid} now belongs to ${JSON.stringify(stat.comm)}, not to a PostgreSQL server` };
  }
  let cwd: string | undefined;
  try {
    cwd = await realpath(await readlink(`/proc/${pidFile.pid}/cwd`));
  } catch {
    cwd = undefined;
  }
  if (cwd !== undefined) {
    if (cwd !== dataDirectory) {
      return { state: 'other', description: `pid ${pidFile.pid} is the PostgreSQL server of ${cwd}, not of ${dataDirectory}` };
    }
    return { state: 'alive' };
  }
  if (pidFile.startTime) {
    const started = (await bootTime()) + stat.startTicks / CLOCK_TICKS_PER_SECOND;
    if (Math.abs(started - pidFile.startTime.getTime() / 1000) > START_TIME_TOLERANCE_SECONDS) {
      return { state: 'other', description: `pid ${pidFile.pid} is a postgres process started at another time than this cluster's postmaster` };
    }
  }
  return { state: 'alive' };
}

// The server a verification starts on its restored copy: the backup's major, run as the owner of the
// restored files (never as root), on the scratch's private socket directory with no TCP, archiving
// off, our own pg_hba.conf (local trust, the socket directory being 0700) and modest shared memory,
// so the source's network, replication and memory settings cannot reach anything or fail the start.
// Recovery runs through the restore_command backup-fetch wrote; the wait ends when the server has
// promoted, exits (recovery failed), the deadline passes or the verification is aborted.
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, chownSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { VerificationFailedError, type PgwardError } from '../errors/errors.js';
import type { Owner } from '../backup/extract.js';
import { isInRecovery } from '../postgres/restored-checks.js';
import type { PgBinaries } from './pg-binaries.js';
import { stopPostmaster } from './postmaster-stop.js';
import type { Scratch } from './scratch.js';

/** Any port will do: the socket directory is private and there is no TCP listener. */
export const SCRATCH_PORT = 5432;

export interface ScratchServer {
  pid: number;
  host: string;
  port: number;
  exited(): boolean;
  stop(): Promise<void>;
}

function lastLogLines(logFile: string): string {
  if (!existsSync(logFile)) return '';
  const lines = readFileSync(logFile, 'utf8').split('\n').filter((l) => /\b(FATAL|PANIC|ERROR|LOG):/.test(l));
  const fatal = lines.filter((l) => /\b(FATAL|PANIC):/.test(l));
  return (fatal.length ? fatal : lines).slice(-3).join(' | ');
}

export function startScratchServer(bin: PgBinaries, scratch: Scratch, owner: Owner | undefined, pgVersionNum: number, env: NodeJS.ProcessEnv): ScratchServer {
  const hba = join(scratch.path, 'pg_hba.conf');
  writeFileSync(hba, 'local all all trust\n', { mode: 0o600 });
  const ident = join(scratch.path, 'pg_ident.conf');
  writeFileSync(ident, '', { mode: 0o600 });
  // Debian keeps postgresql.conf in /etc: a restored directory may lack one, which postgres requires.
  const conf = join(scratch.dataDirectory, 'postgresql.conf');
  if (!existsSync(conf)) writeFileSync(conf, '', { mode: 0o600 });
  if (owner) for (const file of [hba, ident, conf]) chownSync(file, owner.uid, owner.gid);
  const settings: Record<string, string> = {
    listen_addresses: '',
    archive_mode: 'off',
    hba_file: hba,
    ident_file: ident,
    ssl: 'off',
    shared_buffers: '128MB',
    logging_collector: 'off',
    cluster_name: 'pgward-verify',
  };
  // The copy must not follow a fork of the backup's timeline, nor stream from the source's primary.
  if (pgVersionNum >= 120000) Object.assign(settings, { recovery_target_timeline: 'current', primary_conninfo: '' });
  const args = ['-D', scratch.dataDirectory, '-p', String(SCRATCH_PORT), '-k', scratch.socketDirectory];
  for (const [key, value] of Object.entries(settings)) args.push('-c', `${key}=${value}`);
  const log = openSync(scratch.logFile, 'a', 0o600);
  if (owner) chownSync(scratch.logFile, owner.uid, owner.gid);
  // restore_command (pgward wal-fetch) runs in this environment: no PG* variable of the caller may
  // point it at another cluster, and it must not ask the source's daemon.
  const childEnv: NodeJS.ProcessEnv = { ...env, PGWARD_NO_DAEMON: 'true', LANG: 'C' };
  for (const name of ['PGDATA', 'PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGPASSWORD']) delete childEnv[name];
  const child = spawn(bin.path('postgres'), args, {
    ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
    cwd: scratch.dataDirectory,
    env: childEnv,
    detached: true,
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  child.unref();
  const pid = child.pid ?? -1;
  return {
    pid,
    host: scratch.socketDirectory,
    port: SCRATCH_PORT,
    exited: () => exited || !existsSync(`/proc/${pid}`),
    stop: () => stopPostmaster(pid, 60_000),
  };
}

export interface RecoveryWait {
  deadline: number;
  signal: AbortSignal;
  interrupted: () => PgwardError;
  role: string;
}

/** Waits until the server has finished recovery and promoted. */
export async function waitRecovered(server: ScratchServer, scratch: Scratch, wait: RecoveryWait): Promise<void> {
  const pidFile = join(scratch.dataDirectory, 'postmaster.pid');
  for (;;) {
    if (wait.signal.aborted) throw wait.interrupted();
    if (server.exited()) {
      throw new VerificationFailedError(`the server stopped during recovery: ${lastLogLines(scratch.logFile) || 'no log line'}`, {
        hint: `the backup cannot be recovered with the archived WAL; rerun with --keep to inspect ${scratch.logFile}`,
      });
    }
    if (Date.now() > wait.deadline) {
      throw new VerificationFailedError(`recovery did not finish within the --timeout: ${lastLogLines(scratch.logFile) || 'no log line'}`, {
        hint: 'raise --timeout for a large backup or a long WAL replay, or rerun with --keep to inspect the server log',
      });
    }
    const ready = existsSync(pidFile) && readFileSync(pidFile, 'utf8').split('\n')[7]?.trim() === 'ready';
    if (ready && (await isInRecovery(server.host, server.port, wait.role)) === false) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Parser for PGDATA/postmaster.pid (layout: PostgreSQL's src/include/utils/pidfile.h).
//   1 pid (negative for a single-user backend)  2 data directory  3 start time (epoch seconds)
//   4 port  5 first socket directory (may be empty)  6 first listen address (may be empty, '*' = all)
//   7 shared memory key and id  8 status (PG >= 10: starting, stopping, ready, standby; padded)
// Files written before PostgreSQL 10 have 7 lines and no status. Lines 4+ are appended as startup
// progresses, so a file caught early can be shorter: missing fields are undefined, never guessed.
export type PostmasterStatus = 'starting' | 'stopping' | 'ready' | 'standby' | 'unknown';

export interface PostmasterPid {
  pid: number;
  singleUser: boolean;
  dataDirectory: string;
  startTime?: Date;
  port?: number;
  socketDirectory?: string;
  listenAddress?: string;
  status: PostmasterStatus;
}

export class PostmasterPidParseError extends Error {}

const STATUSES = new Set(['starting', 'stopping', 'ready', 'standby']);

function optionalText(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

export function parsePostmasterPid(text: string): PostmasterPid {
  const lines = text.split('\n');
  const pidText = lines[0]?.trim() ?? '';
  if (!/^-?\d+$/.test(pidText) || Number(pidText) === 0) {
    throw new PostmasterPidParseError(`first line is not a process id: ${JSON.stringify(pidText.slice(0, 40))}`);
  }
  const pid = Number(pidText);
  const dataDirectory = lines[1]?.trim();
  if (!dataDirectory) throw new PostmasterPidParseError('second line (data directory) is missing');

  const startText = optionalText(lines[2]);
  const portText = optionalText(lines[3]);
  let port: number | undefined;
  if (portText !== undefined) {
    if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new PostmasterPidParseError(`fourth line is not a port number: ${JSON.stringify(portText)}`);
    }
    port = Number(portText);
  }
  const statusText = optionalText(lines[7]);
  return {
    pid: Math.abs(pid),
    singleUser: pid < 0,
    dataDirectory,
    startTime: startText && /^\d+$/.test(startText) ? new Date(Number(startText) * 1000) : undefined,
    port,
    socketDirectory: optionalText(lines[4]),
    listenAddress: optionalText(lines[5]),
    status: statusText && STATUSES.has(statusText) ? (statusText as PostmasterStatus) : 'unknown',
  };
}

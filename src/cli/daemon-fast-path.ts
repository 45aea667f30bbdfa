// wal-push/wal-fetch through the daemon when one serves this cluster. The daemon's verdict stands
// when it is about the data (identity, duplicate, integrity); anything else (no daemon, a storage
// problem, a timeout) falls back to doing the work in this process, with its own retries and, for
// wal-fetch, its own archive-recovery exit status.
import { realpathSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfigFile } from '../config/config-file.js';
import { readEnvdir } from '../config/envdir.js';
import { callDaemon } from '../daemon/client.js';
import { defaultSocketPath } from '../daemon/socket-path.js';
import type { FastCommand } from './fast-path.js';
import { readFileSync } from 'node:fs';

const AUTHORITATIVE = new Set(['CLUSTER_IDENTITY_MISMATCH', 'REPO_IDENTITY_MISMATCH', 'ARCHIVE_DUPLICATE', 'INTEGRITY_FAILURE', 'USAGE']);

function setting(name: string, args: Record<string, unknown>): string | undefined {
  if (process.env[name]) return process.env[name];
  try {
    if (typeof args.envdir === 'string') {
      const value = readEnvdir(args.envdir).get(name);
      if (value) return value;
    }
    if (typeof args.config === 'string') return parseConfigFile(readFileSync(args.config, 'utf8'), args.config).get(name)?.value;
  } catch {
    return undefined; // the standalone path reports unreadable settings properly
  }
  return undefined;
}

export async function viaDaemon(fast: FastCommand): Promise<number | undefined> {
  const { args } = fast;
  if (setting('PGWARD_NO_DAEMON', args) === '1') return undefined;
  let dataDirectory: string;
  try {
    dataDirectory = realpathSync(String(args.pgdata ?? process.env.PGDATA ?? process.cwd()));
  } catch {
    return undefined;
  }
  const socket = setting('PGWARD_DAEMON_SOCKET', args) ?? defaultSocketPath(dataDirectory, {});
  const timeoutMs = Number(setting('PGWARD_WAL_PUSH_TIMEOUT', args) ?? 30) * 1000;
  const request =
    fast.command === 'wal-push'
      ? { v: 1 as const, id: 1, op: 'wal-push' as const, dataDirectory, path: resolve(String(args.path)) }
      : { v: 1 as const, id: 1, op: 'wal-fetch' as const, dataDirectory, segment: String(args.segment), destination: resolve(String(args.destination)) };
  const response = await callDaemon(socket, request, timeoutMs);
  if (!response) return undefined;
  if (response.ok) return 0;
  if (fast.command === 'wal-fetch') return response.exitCode === 1 ? 1 : undefined;
  if (!AUTHORITATIVE.has(response.code)) return undefined;
  writeSync(2, `pgward: ERROR: ${response.message}\n${response.hint ? `HINT: ${response.hint}\n` : ''}`);
  return response.exitCode;
}

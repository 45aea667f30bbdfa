// wal-push/wal-fetch through the daemon when one serves this cluster. The daemon's verdict stands
// when it is about the data (identity, duplicate, integrity); anything else (no daemon, a storage
// problem, a timeout) falls back to doing the work in this process, with its own retries and, for
// wal-fetch, its own archive-recovery exit status.
import { realpathSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { Settings } from '../config/settings.js';
import { callDaemon } from '../daemon/client.js';
import { defaultSocketPath } from '../daemon/socket-path.js';
import type { FastCommand } from './fast-path.js';

const AUTHORITATIVE = new Set(['CLUSTER_IDENTITY_MISMATCH', 'REPO_IDENTITY_MISMATCH', 'ARCHIVE_DUPLICATE', 'INTEGRITY_FAILURE', 'USAGE']);

/** The same settings (flags > environment > envdir > config file) the standalone path reads. */
function settingsOf(args: Record<string, unknown>): Settings | undefined {
  const flags: Record<string, string | number | boolean | undefined> = {};
  for (const [key, value] of Object.entries(args)) if (typeof value !== 'object') flags[key] = value as string | number | boolean;
  try {
    return new Settings({ flags, env: process.env, envdir: (args.envdir as string | undefined) ?? process.env.PGWARD_ENVDIR, configFile: (args.config as string | undefined) ?? process.env.PGWARD_CONFIG });
  } catch {
    return undefined; // the standalone path reports unreadable settings properly
  }
}

export async function viaDaemon(fast: FastCommand): Promise<number | undefined> {
  const { args } = fast;
  const settings = settingsOf(args);
  let dataDirectory: string;
  let timeoutMs: number;
  try {
    if (!settings || settings.bool('noDaemon')?.value) return undefined;
    dataDirectory = realpathSync(settings.get('pgData')?.value ?? process.cwd());
    timeoutMs = (settings.int('walPushTimeout', { min: 1, max: 3600 })?.value ?? 30) * 1000;
  } catch {
    return undefined;
  }
  const socket = settings.get('daemonSocket')?.value ?? defaultSocketPath(dataDirectory, {});
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

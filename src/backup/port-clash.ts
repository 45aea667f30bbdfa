// A restored copy on the host its backup came from would take the source's port: started as it is,
// it either fails (the socket lock file and TCP port are taken) or, if the source is down, takes the
// source's place for every client. Compared: this host against the sentinel's, the copy's configured
// port (postgresql.conf, then postgresql.auto.conf; 5432 when unset) against the source's, and the
// socket directories where both are known (the copy's configured one, the source's from its
// postmaster.pid). include directives are not followed.
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parsePostgresqlConf } from '../cluster/postgresql-conf.js';
import { parsePostmasterPid } from '../cluster/postmaster-pid.js';
import type { BackupSentinel } from './manifest.js';

export interface PortClash {
  port: number;
  sourcePort: number;
  sourceDataDirectory: string;
  socketDirectory?: string;
  /** the file to set `port` in */
  setIn: string;
}

const DEFAULT_PORT = 5432;

async function configured(dataDirectory: string): Promise<Map<string, string>> {
  const merged = new Map<string, string>();
  for (const name of ['postgresql.conf', 'postgresql.auto.conf']) {
    const text = await readFile(join(dataDirectory, name), 'utf8').catch(() => '');
    for (const [key, value] of parsePostgresqlConf(text)) merged.set(key, value);
  }
  return merged;
}

export async function findPortClash(target: string, sentinel: BackupSentinel): Promise<PortClash | undefined> {
  if (sentinel.host !== hostname()) return undefined;
  const settings = await configured(target);
  const port = Number(settings.get('port') ?? DEFAULT_PORT);
  if (port !== sentinel.port) return undefined;
  const copySockets = settings.get('unix_socket_directories')?.split(',').map((d) => d.trim()).filter(Boolean);
  const pidText = await readFile(join(sentinel.dataDirectory, 'postmaster.pid'), 'utf8').catch(() => undefined);
  let sourceSocket: string | undefined;
  try {
    sourceSocket = pidText === undefined ? undefined : parsePostmasterPid(pidText).socketDirectory;
  } catch {
    sourceSocket = undefined;
  }
  if (copySockets && sourceSocket !== undefined && !copySockets.includes(sourceSocket)) return undefined;
  return { port, sourcePort: sentinel.port, sourceDataDirectory: sentinel.dataDirectory, socketDirectory: sourceSocket ?? copySockets?.[0], setIn: join(target, 'postgresql.auto.conf') };
}

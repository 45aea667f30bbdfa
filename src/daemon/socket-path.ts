// Where a cluster's daemon listens: /run/pgward/<instance>.sock, the instance named as Debian's
// systemd units name clusters ("15-main" for 15/main), or for other data directories a short hash
// of the path. PGWARD_DAEMON_SOCKET overrides it for both the daemon and its clients.
import { createHash } from 'node:crypto';

export const SOCKET_DIR = '/run/pgward';

export function instanceName(dataDirectory: string): string {
  const debian = /^\/var\/lib\/postgresql\/([^/]+)\/([^/]+)$/.exec(dataDirectory);
  if (debian) return `${debian[1]}-${debian[2]}`;
  return `pgdata-${createHash('sha256').update(dataDirectory).digest('hex').slice(0, 12)}`;
}

export function defaultSocketPath(dataDirectory: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.PGWARD_DAEMON_SOCKET || `${SOCKET_DIR}/${instanceName(dataDirectory)}.sock`;
}

// Where to connect, decided by postmaster.pid: its socket directory (else its listen address) and its
// port. PGHOST/PGPORT or --host/--port may be given (wal-e envdirs often carry a PGPORT), but when
// they disagree with postmaster.pid the command stops and names both: that disagreement is exactly
// how wal-e backed up the 9.4 cluster while told to back up 9.6.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import type { ClusterIdentity } from '../cluster/identity.js';
import type { Sourced } from '../config/settings.js';
import { ClusterIdentityError, ClusterUnusableError } from '../errors/errors.js';

export interface ConnectionOverrides {
  host?: Sourced<string>;
  port?: Sourced<string>;
  user?: Sourced<string>;
  database?: Sourced<string>;
}

export interface ConnectionTarget {
  host: string;
  port: number;
  user: string;
  database: string;
  /** how host and port were chosen, for the log */
  origin: string;
}

const WILDCARDS: Record<string, string> = { '*': '127.0.0.1', '0.0.0.0': '127.0.0.1', '::': '::1' };

function checkPort(identity: ClusterIdentity, port: number, override: Sourced<string> | undefined): void {
  if (!override) return;
  if (override.value.trim() === String(port)) return;
  throw new ClusterIdentityError(
    `port ${override.value} (${override.source}) disagrees with postmaster.pid of ${identity.dataDirectory}, where cluster ${identity.name} listens on port ${port}`,
    {
      hint: `port ${override.value} is another cluster's: remove the setting (pgward reads the port from postmaster.pid) or set it to ${port}`,
    },
  );
}

function checkSocketHost(identity: ClusterIdentity, socketDirectory: string | undefined, port: number, override: Sourced<string>): void {
  const dir = override.value.replace(/\/+$/, '') || '/';
  // postmaster.pid records only the first of unix_socket_directories; another of them is accepted
  // when this port's socket is in it (the server check after connecting settles the rest).
  if (dir === socketDirectory || existsSync(join(dir, `.s.PGSQL.${port}`))) return;
  throw new ClusterIdentityError(
    `socket directory ${override.value} (${override.source}) disagrees with postmaster.pid of ${identity.dataDirectory}, where cluster ${identity.name} has its socket in ${socketDirectory ?? '(none)'} on port ${port}`,
    { hint: 'remove the host setting (pgward reads the socket directory from postmaster.pid) or correct it' },
  );
}

export function connectionTarget(identity: ClusterIdentity, overrides: ConnectionOverrides = {}): ConnectionTarget {
  const postmaster = identity.postmaster;
  if (!postmaster) {
    throw new ClusterUnusableError(`cluster ${identity.name} is not running`, { hint: 'start the cluster first' });
  }
  const port = postmaster.port;
  checkPort(identity, port, overrides.port);
  let host: string;
  let origin: string;
  const hostOverride = overrides.host;
  if (hostOverride && hostOverride.value.startsWith('/')) {
    checkSocketHost(identity, postmaster.socketDirectory, port, hostOverride);
    host = hostOverride.value;
    origin = `socket directory from ${hostOverride.source}, port from postmaster.pid`;
  } else if (hostOverride) {
    // A TCP host cannot be matched against postmaster.pid by name; the server check after
    // connecting (data_directory, system identifier) is what guards it.
    host = hostOverride.value;
    origin = `host from ${hostOverride.source}, port from postmaster.pid`;
  } else if (postmaster.socketDirectory) {
    host = postmaster.socketDirectory;
    origin = 'socket directory and port from postmaster.pid';
  } else if (postmaster.listenAddress) {
    host = WILDCARDS[postmaster.listenAddress] ?? postmaster.listenAddress;
    origin = 'listen address and port from postmaster.pid';
  } else {
    throw new ClusterUnusableError(`cluster ${identity.name} listens neither on a socket nor on TCP (postmaster.pid)`, {
      hint: 'set unix_socket_directories or listen_addresses so pgward can connect',
    });
  }
  return {
    host,
    port,
    user: overrides.user?.value ?? userInfo().username,
    database: overrides.database?.value ?? 'postgres',
    origin,
  };
}

// After connecting, the server must prove it is the cluster in PGDATA: same data directory (realpath),
// same major version as PG_VERSION, same system identifier as pg_control. Anything else stops the
// command with the identity-mismatch code before any work is done.
import { realpath } from 'node:fs/promises';
import type { ClusterIdentity } from '../cluster/identity.js';
import { majorFromVersionNum } from '../cluster/pg-version.js';
import { ClusterIdentityError } from '../errors/errors.js';
import type { ConnectionTarget } from './target.js';

export interface ServerFacts {
  dataDirectory: string;
  serverVersion: string;
  serverVersionNum: number;
  systemIdentifier: string;
  inRecovery: boolean;
}

export const SERVER_FACTS_SQL = `SELECT current_setting('data_directory') AS data_directory,
       current_setting('server_version') AS server_version,
       current_setting('server_version_num')::int AS server_version_num,
       (SELECT system_identifier FROM pg_control_system())::text AS system_identifier,
       pg_is_in_recovery() AS in_recovery`;

export function verifyServer(identity: ClusterIdentity, target: ConnectionTarget, facts: ServerFacts, serverDataDirectory: string): void {
  const problems: string[] = [];
  if (serverDataDirectory !== identity.dataDirectory) {
    problems.push(`its data directory is ${facts.dataDirectory}`);
  }
  const serverMajor = majorFromVersionNum(facts.serverVersionNum);
  if (serverMajor !== identity.pgMajor) {
    problems.push(`it runs PostgreSQL ${facts.serverVersion}, PG_VERSION says ${identity.pgMajor}`);
  }
  if (facts.systemIdentifier !== identity.systemIdentifier) {
    problems.push(`its system identifier is ${facts.systemIdentifier}, pg_control says ${identity.systemIdentifier}`);
  }
  if (problems.length === 0) return;
  throw new ClusterIdentityError(
    `the server at ${target.host} port ${target.port} is not cluster ${identity.name} (${identity.dataDirectory}): ${problems.join('; ')}`,
    { hint: 'another cluster answered on that address: check PGHOST/PGPORT and postmaster.pid, and that the path is the data directory you mean' },
  );
}

/** The server's data directory, resolved on this host so symlinked paths compare equal. */
export async function resolveServerDataDirectory(reported: string): Promise<string> {
  return realpath(reported).catch(() => reported);
}

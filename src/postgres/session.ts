// A verified connection to a cluster: connect where postmaster.pid says, then check the server's
// identity before returning. Later commands (backup-push) keep this one connection open from
// backup start to stop.
import pg from 'pg';
import type { ClusterIdentity } from '../cluster/identity.js';
import { PostgresError } from '../errors/errors.js';
import type { Secret } from '../config/secret.js';
import { queryFailure, serverGone } from './query.js';
import { connectionTarget, type ConnectionOverrides, type ConnectionTarget } from './target.js';
import { resolveServerDataDirectory, SERVER_FACTS_SQL, verifyServer, type ServerFacts } from './verify.js';

export interface VerifiedSession {
  client: pg.Client;
  target: ConnectionTarget;
  server: ServerFacts;
  /** The error that ended the connection (the server stopped, the socket closed), if it ended. */
  lost(): Error | undefined;
  close(): Promise<void>;
}

export interface SessionOptions extends ConnectionOverrides {
  password?: Secret;
  connectTimeoutMs?: number;
}

function connectError(identity: ClusterIdentity, target: ConnectionTarget, err: unknown): PostgresError {
  const e = err as { code?: string; message?: string };
  const where = `cluster ${identity.name} at ${target.host} port ${target.port} as ${target.user}`;
  let hint = 'check that the server accepts connections (pg_hba.conf) and the role exists';
  if (e.code === '28P01' || e.code === '28000') hint = 'authentication failed: set PGUSER (and a password in ~/.pgpass), or run pgward as the postgres OS user for peer authentication';
  else if (e.code === '3D000') hint = 'the database does not exist: set PGDATABASE to one that does';
  else if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') hint = 'the server refused the connection: is it still running?';
  return new PostgresError(`cannot connect to ${where}: ${e.message ?? String(err)}`, { hint, cause: err });
}

export async function openVerifiedSession(identity: ClusterIdentity, options: SessionOptions = {}): Promise<VerifiedSession> {
  const target = connectionTarget(identity, options);
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    database: target.database,
    ...(options.password ? { password: options.password.reveal() } : {}),
    application_name: 'pgward',
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // A dropped connection must reject the pending query, not crash the process as an unhandled 'error';
  // it is also remembered, so a long copy with no query pending can stop as soon as the server goes.
  let lostWith: Error | undefined;
  let closing = false;
  client.on('error', (err) => (lostWith ??= err));
  client.on('end', () => {
    if (!closing) lostWith ??= new Error('Connection terminated unexpectedly');
  });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw connectError(identity, target, err);
  }
  try {
    const result = await client.query<{ data_directory: string; server_version: string; server_version_num: number; system_identifier: string; in_recovery: boolean }>(SERVER_FACTS_SQL);
    const row = result.rows[0]!;
    const server: ServerFacts = {
      dataDirectory: row.data_directory,
      serverVersion: row.server_version,
      serverVersionNum: row.server_version_num,
      systemIdentifier: row.system_identifier,
      inRecovery: row.in_recovery,
    };
    verifyServer(identity, target, server, await resolveServerDataDirectory(server.dataDirectory));
    return {
      client,
      target,
      server,
      lost: () => lostWith,
      close: () => {
        closing = true;
        return client.end();
      },
    };
  } catch (err) {
    await client.end().catch(() => undefined);
    // A server that stops between connecting and verifying is not a privilege problem (nor a bug).
    if (serverGone(err)) throw queryFailure({ what: `verifying cluster ${identity.name}`, command: 'the command' }, err);
    if (err instanceof Error && 'code' in err && typeof (err as { code: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((err as { code: string }).code)) {
      throw new PostgresError(`cannot verify cluster ${identity.name}: ${err.message}`, {
        hint: 'pgward needs to read data_directory and pg_control_system(): connect as a superuser or grant pg_read_all_settings and EXECUTE on pg_control_system()',
        cause: err,
      });
    }
    throw err;
  }
}

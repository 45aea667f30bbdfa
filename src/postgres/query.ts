// The one way pgward runs SQL on a verified session: every failure becomes a PostgresError whose hint
// fits the cause. A server that stopped under us must not be reported as missing privileges (the
// advice would send the DBA to GRANT while the server is down), and a privilege error must say
// which privileges, not "see the log".
import type pg from 'pg';
import { PostgresError } from '../errors/errors.js';

/** What the caller was doing, for the message and for the "run it again" advice. */
export interface QueryPurpose {
  /** e.g. "starting the backup" */
  what: string;
  /** the command to run again once the server is back, e.g. "backup-push" */
  command: string;
}

// 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now; the rest are how node-postgres
// reports a socket that closed under a pending query.
const SERVER_GONE_CODES = new Set(['57P01', '57P02', '57P03', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'ENOENT']);
const SERVER_GONE_MESSAGES = /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|terminating connection/i;
// 42501 insufficient_privilege
const PRIVILEGE_CODES = new Set(['42501']);

export function serverGone(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return (typeof e?.code === 'string' && SERVER_GONE_CODES.has(e.code)) || (typeof e?.message === 'string' && SERVER_GONE_MESSAGES.test(e.message));
}

export function queryFailure(purpose: QueryPurpose, err: unknown): PostgresError {
  const e = err as { code?: unknown; message?: unknown };
  const detail = typeof e?.message === 'string' ? e.message : String(err);
  let hint = `PostgreSQL refused it: the server log has the details; fix the cause and run ${purpose.command} again`;
  if (serverGone(err)) {
    hint = purpose.command === 'backup-push'
      ? 'the server stopped during the backup; start it and run backup-push again'
      : `the server stopped during ${purpose.command}; start it and run ${purpose.command} again`;
  } else if (typeof e?.code === 'string' && PRIVILEGE_CODES.has(e.code)) {
    hint = 'the role lacks a privilege pgward needs: connect as a superuser, or grant it pg_read_all_settings, pg_monitor and EXECUTE on pg_backup_start/pg_backup_stop (pg_start_backup/pg_stop_backup before 15), pg_switch_wal, pg_create_restore_point and pg_control_checkpoint';
  }
  return new PostgresError(`${purpose.what} failed: ${detail}`, { hint, cause: err });
}

export async function runQuery<R extends pg.QueryResultRow>(client: pg.Client, purpose: QueryPurpose, sql: string, params: unknown[] = []): Promise<R[]> {
  try {
    return (await client.query<R>(sql, params)).rows;
  } catch (err) {
    throw queryFailure(purpose, err);
  }
}

// The SQL backup-verify runs on the server it started on a restored copy: recovery state, identity,
// the databases, data checksums, and the operator's own checks (each must return true).
import pg from 'pg';
import { queryFailure } from './query.js';

export interface ScratchConnection {
  host: string;
  port: number;
  role: string;
}

async function withClient<T>(conn: ScratchConnection, database: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: conn.host, port: conn.port, user: conn.role, database, application_name: 'pgward backup-verify', connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** true/false once the server answers; undefined while it does not accept connections yet. */
export async function isInRecovery(host: string, port: number, role: string): Promise<boolean | undefined> {
  try {
    return await withClient({ host, port, role }, 'postgres', async (c) => (await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r);
  } catch {
    return undefined;
  }
}

export interface RestoredFacts {
  systemIdentifier: string;
  serverVersionNum: number;
  serverVersion: string;
  dataChecksums: boolean;
  databases: string[];
}

const PURPOSE = { what: 'querying the restored copy', command: 'backup-verify' };

export async function restoredFacts(conn: ScratchConnection): Promise<RestoredFacts> {
  return withClient(conn, 'postgres', async (client) => {
    try {
      const [facts] = (
        await client.query<{ id: string; num: string; version: string; checksums: string }>(
          `SELECT (SELECT system_identifier::text FROM pg_control_system()) AS id, current_setting('server_version_num') AS num,
                  current_setting('server_version') AS version, current_setting('data_checksums') AS checksums`,
        )
      ).rows;
      const databases = (await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname')).rows.map((r) => r.datname);
      return { systemIdentifier: facts!.id, serverVersionNum: Number(facts!.num), serverVersion: facts!.version, dataChecksums: facts!.checksums === 'on', databases };
    } catch (err) {
      throw queryFailure(PURPOSE, err);
    }
  });
}

/** Connects to the database and reads one row of its catalog; returns the error message, if any. */
export async function databaseAnswers(conn: ScratchConnection, database: string): Promise<string | undefined> {
  try {
    await withClient(conn, database, (c) => c.query('SELECT count(*) FROM pg_class'));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** The first column of the first row, as the check's verdict; the error message when it fails to run. */
export async function runCheckQuery(conn: ScratchConnection, database: string, sql: string): Promise<{ value?: unknown; error?: string }> {
  try {
    return await withClient(conn, database, async (c) => {
      const result = await c.query({ text: sql, rowMode: 'array' });
      const rows = Array.isArray(result) ? (result.at(-1) as pg.QueryResult).rows : result.rows;
      return { value: (rows[0] as unknown[] | undefined)?.[0] };
    });
  } catch (err) {
    return { error: (err as Error).message };
  }
}

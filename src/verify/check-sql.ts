// --check-sql FILE: the operator's own proof that the data is there ("SELECT count(*) > 0 FROM
// orders"). Statements end with a semicolon at the end of a line; each must return true in its first
// column. A line "-- database: NAME" runs the statements after it in that database (default postgres).
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors/errors.js';

export interface CheckQuery {
  database: string;
  sql: string;
}

export function parseCheckSql(text: string): CheckQuery[] {
  const queries: CheckQuery[] = [];
  let database = 'postgres';
  let current: string[] = [];
  for (const line of text.split('\n')) {
    const directive = /^\s*--\s*database:\s*(\S+)\s*$/.exec(line);
    if (directive) {
      database = directive[1]!;
      continue;
    }
    if ((/^\s*--/.test(line) || line.trim() === '') && current.length === 0) continue;
    current.push(line);
    if (/;\s*$/.test(line)) {
      const sql = current.join('\n').trim().replace(/;\s*$/, '');
      if (sql) queries.push({ database, sql });
      current = [];
    }
  }
  const rest = current.join('\n').trim();
  if (rest) queries.push({ database, sql: rest });
  return queries;
}

export async function readCheckSql(file: string): Promise<CheckQuery[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --check-sql ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { hint: 'name a readable file of SQL statements, each returning true' });
  }
  const queries = parseCheckSql(text);
  if (queries.length === 0) throw new UsageError(`--check-sql ${file} holds no statement`, { hint: 'write statements ending with ";" that each return true' });
  return queries;
}

// Just enough of postgresql.conf to list Debian clusters: `name = value` lines, optional quotes,
// trailing comments. The last assignment wins, as in PostgreSQL.
export function parsePostgresqlConf(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*=?\s*('(?:[^'\\]|\\.|'')*'|[^\s#]+)/.exec(raw);
    if (!match) continue;
    let value = match[2]!;
    if (value.startsWith("'")) value = value.slice(1, -1).replace(/''/g, "'").replace(/\\(.)/g, '$1');
    values.set(match[1]!.toLowerCase(), value);
  }
  return values;
}

// PGDATA/PG_VERSION holds the major version: "9.6", "10" ... "18". The server reports
// server_version_num (90624, 150004); both are compared as the same major string.
export class PgVersionParseError extends Error {}

export function parsePgVersion(text: string): string {
  const value = text.trim();
  if (!/^(9\.\d|[1-9]\d)$/.test(value)) {
    throw new PgVersionParseError(`PG_VERSION holds ${JSON.stringify(value.slice(0, 20))}, not a major version`);
  }
  return value;
}

export function majorFromVersionNum(versionNum: number): string {
  if (versionNum >= 100000) return String(Math.floor(versionNum / 10000));
  return `${Math.floor(versionNum / 10000)}.${Math.floor(versionNum / 100) % 100}`;
}

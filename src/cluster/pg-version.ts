// PGDATA/PG_VERSION holds the major version: "9.6", "10" ... "18". The server reports
// server_version_num (90624, 150004); both are compared as the same major string.
export class PgVersionParseError extends Error {
  constructor(
    message: string,
    /** a well-formed major version that pgward does not know, rather than a damaged file */
    readonly unsupported = false,
  ) {
    super(message);
  }
}

/** The majors pgward reads pg_control and postmaster.pid of: 9.4 to 9.6, then 10 to 19. */
const KNOWN_MAJOR = /^(9\.[4-6]|1\d)$/;

export function parsePgVersion(text: string): string {
  const value = text.trim();
  if (!/^(9\.\d|[1-9]\d)$/.test(value)) {
    throw new PgVersionParseError(`PG_VERSION holds ${JSON.stringify(value.slice(0, 20))}, not a major version`);
  }
  if (!KNOWN_MAJOR.test(value)) {
    throw new PgVersionParseError(`PG_VERSION says PostgreSQL ${value}, which is not a release this pgward supports (9.4 to 9.6, 10 to 19)`, true);
  }
  return value;
}

export function majorFromVersionNum(versionNum: number): string {
  if (versionNum >= 100000) return String(Math.floor(versionNum / 10000));
  return `${Math.floor(versionNum / 10000)}.${Math.floor(versionNum / 100) % 100}`;
}

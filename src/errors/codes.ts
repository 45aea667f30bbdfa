// The one table of error codes. The number is the process exit status, stable across releases and
// documented in the README. PostgreSQL treats an archive/restore command status above 125 as a crash,
// so every code stays at or below 125 (the one deliberate exception, wal-fetch aborting archive
// recovery, is decided by the wal-fetch command, not by this table).
export const ERROR_CODES = {
  WAL_NOT_IN_ARCHIVE: { exitCode: 1, summary: 'requested WAL file is not in the archive' },
  USAGE: { exitCode: 2, summary: 'bad command line or configuration' },
  CLUSTER_IDENTITY_MISMATCH: { exitCode: 3, summary: 'the server reached is not the cluster in PGDATA' },
  REPO_IDENTITY_MISMATCH: { exitCode: 4, summary: 'the repository belongs to another cluster' },
  CLUSTER_UNUSABLE: { exitCode: 5, summary: 'PGDATA is not a usable data directory (missing, stopped, stale pid, corrupt)' },
  STORAGE_FAILURE: { exitCode: 6, summary: 'the repository storage failed or is unreachable' },
  ARCHIVE_DUPLICATE: { exitCode: 7, summary: 'an archived object of that name exists with other content' },
  INTEGRITY_FAILURE: { exitCode: 8, summary: 'a checksum did not match or an object is corrupt' },
  POSTGRES_ERROR: { exitCode: 9, summary: 'PostgreSQL refused a connection or a query' },
  RESTORE_TARGET_UNUSABLE: { exitCode: 10, summary: 'the restore target directory cannot be used' },
  INTERRUPTED: { exitCode: 11, summary: 'stopped by SIGTERM or SIGINT before it completed' },
  VERIFICATION_FAILED: { exitCode: 12, summary: 'backup-verify: the backup failed verification (a check named in the message)' },
  STATUS_WARNING: { exitCode: 13, summary: 'status: a cluster is WARNING (its protection is aging, lagging or unproven); --nagios exits 1' },
  STATUS_CRITICAL: { exitCode: 14, summary: 'status: a cluster is CRITICAL (WAL or backups are not reaching a usable repository, or a proof failed); --nagios exits 2' },
  INTERNAL: { exitCode: 70, summary: 'internal error (a bug: please report it with --debug output)' },
} as const satisfies Record<string, { exitCode: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function exitCodeOf(code: ErrorCode): number {
  return ERROR_CODES[code].exitCode;
}

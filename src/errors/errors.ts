// The error hierarchy. Library code throws these; only cli/main.ts turns them into an exit status.
// `code`, `exitCode` and `hint` are own enumerable properties so pino's err serializer and the
// --json error output carry them.
import { exitCodeOf, type ErrorCode } from './codes.js';

export interface ErrorOptions {
  hint?: string;
  cause?: unknown;
}

export abstract class PgwardError extends Error {
  abstract readonly code: ErrorCode;
  readonly hint?: string;

  constructor(message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options.hint !== undefined) this.hint = options.hint;
  }

  get exitCode(): number {
    return exitCodeOf(this.code);
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, exitCode: this.exitCode, message: this.message, hint: this.hint };
  }
}

export class WalNotInArchiveError extends PgwardError {
  readonly code = 'WAL_NOT_IN_ARCHIVE' as const;
}
export class UsageError extends PgwardError {
  readonly code = 'USAGE' as const;
}
/** A setting is missing or malformed; the message names the setting and where it was looked for. */
export class ConfigError extends PgwardError {
  readonly code = 'USAGE' as const;
}
export class ClusterIdentityError extends PgwardError {
  readonly code = 'CLUSTER_IDENTITY_MISMATCH' as const;
}
export class RepoIdentityError extends PgwardError {
  readonly code = 'REPO_IDENTITY_MISMATCH' as const;
}
export class ClusterUnusableError extends PgwardError {
  readonly code = 'CLUSTER_UNUSABLE' as const;
}
export class StorageError extends PgwardError {
  readonly code = 'STORAGE_FAILURE' as const;
}
export class ArchiveDuplicateError extends PgwardError {
  readonly code = 'ARCHIVE_DUPLICATE' as const;
}
export class IntegrityError extends PgwardError {
  readonly code = 'INTEGRITY_FAILURE' as const;
}
export class PostgresError extends PgwardError {
  readonly code = 'POSTGRES_ERROR' as const;
}
export class RestoreTargetError extends PgwardError {
  readonly code = 'RESTORE_TARGET_UNUSABLE' as const;
}
export class InterruptedError extends PgwardError {
  readonly code = 'INTERRUPTED' as const;
}
/** backup-verify found the backup unusable: a check failed (not the storage, not the scratch space). */
export class VerificationFailedError extends PgwardError {
  readonly code = 'VERIFICATION_FAILED' as const;
}
/** status: the worst cluster's verdict, when it is not OK (a verdict, reported like an error so cron sees it). */
export class StatusWarningError extends PgwardError {
  readonly code = 'STATUS_WARNING' as const;
}
export class StatusCriticalError extends PgwardError {
  readonly code = 'STATUS_CRITICAL' as const;
}
/** Not a failure: a command that must end with a status outside the table (status --nagios: 0-3). */
export class ExitWith {
  constructor(readonly status: number) {}
}
export class InternalError extends PgwardError {
  readonly code = 'INTERNAL' as const;
}

/** Any thrown value as a PgwardError: ours pass through, everything else is an internal error. */
export function asPgwardError(err: unknown): PgwardError {
  if (err instanceof PgwardError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new InternalError(`unexpected error: ${message}`, {
    hint: 'this is a bug in pgward: rerun with --debug and report the output',
    cause: err,
  });
}

/**
 * wal-fetch in archive recovery: PostgreSQL treats a restore_command status of 1-125 as "not in the
 * archive" and would end recovery at that point, promoting early at the wrong place. A status above 125
 * makes it stop recovery with a FATAL error instead. The code stays the cause's; only the status differs.
 */
export const ABORT_RECOVERY_EXIT_STATUS = 126;

export class RecoveryAbortError extends PgwardError {
  readonly code: PgwardError['code'];
  constructor(readonly reason: PgwardError) {
    super(`${reason.message}; stopping recovery (exit ${ABORT_RECOVERY_EXIT_STATUS}) rather than ending it early at this WAL file`, {
      hint: reason.hint ? `${reason.hint}; then start the server again to resume recovery` : 'fix the cause, then start the server again to resume recovery',
      cause: reason,
    });
    this.code = reason.code;
  }
  override get exitCode(): number {
    return ABORT_RECOVERY_EXIT_STATUS;
  }
}

// The archive half of `check`, as pgBackRest's check does it: the settings that decide whether WAL
// leaves the server (archive_mode, archive_command and whether it runs pgward), then proof: a segment
// switched now must reach the repository within a bounded time, with pg_stat_archiver's failures
// reported while waiting. The wait is backup-push's (wal-wait.ts): one mechanism. A standby cannot
// switch or archive (its primary does), so there only the settings are checked, and the result says so.
import { UsageError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { archiveSettings, archiverStatus, switchSegment } from '../postgres/archiving.js';
import type { VerifiedSession } from '../postgres/session.js';
import type { Storage } from '../storage/storage.js';
import { waitForWal } from './wal-wait.js';

export interface ArchiveCheckOptions {
  session: VerifiedSession;
  storage: Storage;
  log: Logger;
  timeoutSeconds: number;
  progressIntervalMs: number;
}

export interface ArchiveCheck {
  archiveMode: string;
  archiveCommand: string;
  archiveLibrary: string;
  /** archive_command runs pgward (directly or through a wrapper that names it) */
  throughPgward: boolean;
  standby: boolean;
  /** the segment check switched and found in the repository (not on a standby) */
  segment?: string;
  seconds?: number;
}

const COMMAND = 'check';
// archive_command may carry credentials inline (AWS_SECRET_ACCESS_KEY=... pgward wal-push %p): they
// must not reach check's output or logs.
const INLINE_SECRET = /\b([A-Za-z0-9_]*(?:SECRET|PASSWORD|TOKEN|KEY)[A-Za-z0-9_]*\s*=\s*)('[^']*'|"[^"]*"|\S+)/gi;

export function maskSecrets(command: string): string {
  return command.replace(INLINE_SECRET, '$1[redacted]');
}
const PGWARD_COMMAND = "archive_command = 'pgward wal-push %p'";

export async function checkArchiving(options: ArchiveCheckOptions): Promise<ArchiveCheck> {
  const { session, log } = options;
  const client = session.client;
  const settings = await archiveSettings(client, { what: 'reading the archive settings', command: COMMAND });
  const standby = session.server.inRecovery;
  const result: ArchiveCheck = {
    archiveMode: settings.mode,
    archiveCommand: maskSecrets(settings.command),
    archiveLibrary: settings.library,
    throughPgward: settings.library === '' && /\bpgward\b/.test(settings.command),
    standby,
  };
  if (settings.mode === 'off') {
    throw new UsageError(
      standby
        ? 'archive_mode is off on this standby: once promoted it would archive nothing, and backups could not be restored past the promotion'
        : 'archive_mode is off: no WAL is archived, so no backup of this cluster could be restored',
      { hint: `set archive_mode = on and ${PGWARD_COMMAND} in postgresql.conf, restart the server, then run check again` },
    );
  }
  if (settings.command === '' && settings.library === '') {
    throw new UsageError('archive_mode is on but archive_command is empty: PostgreSQL keeps every segment in pg_wal and archives none', {
      hint: `set ${PGWARD_COMMAND} and reload the server (SELECT pg_reload_conf()), then run check again`,
    });
  }
  if (!result.throughPgward) {
    log.warn(
      { archiveCommand: result.archiveCommand, archiveLibrary: settings.library },
      settings.library ? `archiving goes through the module ${settings.library}, not pgward` : `archive_command does not run pgward: ${result.archiveCommand}`,
    );
  }
  if (standby) {
    log.info({ standby: true }, 'the server is a standby: it cannot switch or archive a segment (its primary does); run check on the primary to prove the archive');
    return result;
  }
  const started = Date.now();
  // pg_stat_archiver records times with the server's clock; a second's margin absorbs skew between
  // it and ours while still ignoring failures from before this check.
  const since = new Date(started - 1000);
  const { segment, lsn } = await switchSegment(client, { what: 'switching to a new WAL segment', command: COMMAND });
  log.info({ segment, lsn }, `switched WAL at ${lsn}: waiting for segment ${segment} to reach the repository`);
  await waitForWal({
    storage: options.storage,
    range: { first: segment, last: segment, names: [segment] },
    timeoutSeconds: options.timeoutSeconds,
    log,
    neededBy: 'check',
    since,
    archiver: () => archiverStatus(client, { what: 'reading pg_stat_archiver', command: COMMAND }),
    progressIntervalMs: options.progressIntervalMs,
    hint: result.throughPgward
      ? "archive_command must archive into this repository: compare its --config/PGWARD_REPO with check's, and read the server log for the command's error (PGWARD_ARCHIVE_CHECK_TIMEOUT sets this wait)"
      : `archiving does not go through pgward, so nothing reaches this repository: set ${PGWARD_COMMAND} and reload the server`,
  });
  result.segment = segment;
  result.seconds = Number(((Date.now() - started) / 1000).toFixed(1));
  log.info({ segment, seconds: result.seconds }, `segment ${segment} is in the repository`);
  return result;
}

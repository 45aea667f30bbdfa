// pgward wal-fetch NAME DEST: restore_command = 'pgward wal-fetch %f %p'. Exit 0 restored, exit 1
// (silently) not in the archive. A real failure is retried for a bounded time, then reported so that
// PostgreSQL cannot mistake it for the end of the archive: in archive recovery with a status above 125
// (recovery stops), on a standby with the failure's own code (the standby retries).
//
// Every file is checked against the cluster in PGDATA (system identifier, repository stamp), so a
// PGDATA that cannot be read is a refusal, never a reason to skip the checks: otherwise a wrong
// --pgdata, or a restore_command run as another user, would restore whatever the archive holds.
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { readClusterFiles, type ClusterFiles } from '../../cluster/identity.js';
import { ClusterUnusableError, PgwardError, RecoveryAbortError, RestoreTargetError, UsageError, WalNotInArchiveError, asPgwardError } from '../../errors/errors.js';
import { readStamp, checkStamp, stampIdentityOf } from '../../repo/stamp.js';
import { fetchWalFile } from '../../wal/wal-fetch.js';
import { recoveryMode } from '../../wal/recovery-mode.js';
import type { CommandContext } from '../context.js';
import { dataDirectoryOf, withStorage } from '../repository.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Failures that retrying cannot fix. */
function isPermanent(err: PgwardError): boolean {
  return err instanceof WalNotInArchiveError || err instanceof UsageError || err instanceof RestoreTargetError || err.code === 'REPO_IDENTITY_MISMATCH';
}

/** The cluster every fetched file is checked against; unreadable means refuse, not "check nothing". */
async function clusterOf(dataDirectory: string): Promise<ClusterFiles> {
  try {
    return await readClusterFiles(dataDirectory);
  } catch (err) {
    const e = asPgwardError(err);
    throw new ClusterUnusableError(`wal-fetch cannot check WAL against the cluster in ${dataDirectory}: ${e.message}`, {
      hint: 'run restore_command as the cluster owner (postgres) from the data directory, as PostgreSQL does, or name it with --pgdata or PGDATA; pgward restores nothing it cannot verify',
      cause: err,
    });
  }
}

/**
 * Whether a failure must stop recovery (status above 125) rather than let PostgreSQL take it for the
 * end of the archive. In archive recovery, always. When the data directory cannot even be searched,
 * pgward cannot see whether PostgreSQL is in archive recovery, and status 1-125 there would end
 * recovery early and promote at the wrong point: stopping is the one safe answer. A standby, or a
 * wal-fetch run by hand outside any recovery, gets the failure's own code.
 */
async function mustStopRecovery(dataDirectory: string): Promise<boolean> {
  const mode = await recoveryMode(dataDirectory);
  if (mode !== 'unknown') return mode === 'archive-recovery';
  return access(dataDirectory, constants.X_OK).then(
    () => false,
    (err: NodeJS.ErrnoException) => err.code === 'EACCES' || err.code === 'EPERM',
  );
}

export const walFetchCommand = {
  async handler(ctx: CommandContext, args: { segment?: string; destination?: string }): Promise<void> {
    const dataDirectory = dataDirectoryOf(ctx);
    try {
      await fetchWithRetries(ctx, dataDirectory, String(args.segment), String(args.destination));
    } catch (err) {
      const error = asPgwardError(err);
      if (error instanceof WalNotInArchiveError) throw error;
      if (await mustStopRecovery(dataDirectory)) throw new RecoveryAbortError(error);
      throw error;
    }
  },
};

async function fetchWithRetries(ctx: CommandContext, dataDirectory: string, segment: string, destination: string): Promise<void> {
  const cluster = await clusterOf(dataDirectory);
  const retrySeconds = ctx.settings.int('walFetchRetry', { min: 0, max: 3600 })?.value ?? 30;
  const log = ctx.log.child({ cluster: cluster.name, systemId: cluster.systemIdentifier, segment });
  const until = Date.now() + retrySeconds * 1000;
  await withStorage(ctx, async (storage) => {
    for (let attempt = 1; ; attempt++) {
      try {
        // A repository stamped by another cluster holds no WAL this cluster may replay.
        const stamp = await readStamp(storage);
        if (stamp) checkStamp(stamp, stampIdentityOf(cluster), storage.location);
        const outcome = await fetchWalFile({ storage, systemIdentifier: cluster.systemIdentifier, log }, segment, destination);
        log.info({ key: outcome.key, size: outcome.size }, 'restored');
        return;
      } catch (err) {
        const error = asPgwardError(err);
        const backoff = Math.min(1000 * 2 ** (attempt - 1), 10_000);
        if (isPermanent(error) || Date.now() + backoff > until) throw error;
        log.warn({ attempt, retryInMs: backoff, err: { code: error.code, message: error.message } }, `fetching ${segment} failed, retrying`);
        await sleep(backoff);
      }
    }
  }, 'read');
}

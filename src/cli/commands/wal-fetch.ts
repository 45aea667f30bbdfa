// pgward wal-fetch NAME DEST: restore_command = 'pgward wal-fetch %f %p'. Exit 0 restored, exit 1
// (silently) not in the archive. A real failure is retried for a bounded time, then reported so that
// PostgreSQL cannot mistake it for the end of the archive: in archive recovery with a status above 125
// (recovery stops), on a standby with the failure's own code (the standby retries).
import { readClusterFiles } from '../../cluster/identity.js';
import { PgwardError, RecoveryAbortError, RestoreTargetError, UsageError, WalNotInArchiveError, asPgwardError } from '../../errors/errors.js';
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

export const walFetchCommand = {
  async handler(ctx: CommandContext, args: { segment?: string; destination?: string }): Promise<void> {
    const dataDirectory = dataDirectoryOf(ctx);
    try {
      await fetchWithRetries(ctx, dataDirectory, String(args.segment), String(args.destination));
    } catch (err) {
      const error = asPgwardError(err);
      if (error instanceof WalNotInArchiveError) throw error;
      if ((await recoveryMode(dataDirectory)) === 'archive-recovery') throw new RecoveryAbortError(error);
      throw error;
    }
  },
};

async function fetchWithRetries(ctx: CommandContext, dataDirectory: string, segment: string, destination: string): Promise<void> {
  const cluster = await readClusterFiles(dataDirectory).catch(() => undefined);
  const retrySeconds = ctx.settings.int('walFetchRetry', { min: 0, max: 3600 })?.value ?? 30;
  const log = ctx.log.child({ cluster: cluster?.name ?? dataDirectory, systemId: cluster?.systemIdentifier, segment });
  const until = Date.now() + retrySeconds * 1000;
  await withStorage(ctx, async (storage) => {
    for (let attempt = 1; ; attempt++) {
      try {
        // A repository stamped by another cluster holds no WAL this cluster may replay.
        const stamp = await readStamp(storage);
        if (stamp && cluster) checkStamp(stamp, stampIdentityOf(cluster), storage.location);
        const outcome = await fetchWalFile({ storage, systemIdentifier: cluster?.systemIdentifier, log }, segment, destination);
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
  });
}

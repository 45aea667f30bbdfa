// pgward backup-verify [NAME|LATEST] | --all-unverified: proves a backup restores (see
// verify/backup-verify.ts), or every backup without a verification record (verify/all-unverified.ts).
// SIGTERM and SIGINT stop it cleanly (server stopped, scratch removed, exit 11). stdout: a verdict line
// per backup, or the record (an array of them with --all-unverified) with --json; the exit status is 0
// verified, 12 failed verification (any of them).
import { resolve } from 'node:path';
import { UsageError, VerificationFailedError } from '../../errors/errors.js';
import { PGWARD_VERSION } from '../../version.js';
import { failureOfAll, verifyAllUnverified } from '../../verify/all-unverified.js';
import { verifyBackup, type VerifyLevel, type VerifyOptions } from '../../verify/backup-verify.js';
import type { VerificationRecord } from '../../verify/record.js';
import { readCheckSql } from '../../verify/check-sql.js';
import { serverUser } from '../../verify/owner.js';
import { DEFAULT_VERIFY_DIR } from '../../verify/scratch.js';
import type { CommandContext } from '../context.js';
import { printJson } from '../output.js';
import { withStorage } from '../repository.js';
import { walFetchCommand } from '../restore-command.js';

interface VerifyArgs {
  backup?: string;
  'all-unverified'?: boolean;
  level?: string;
  'to-end'?: boolean;
  'check-sql'?: string;
  'pg-bin'?: string;
  amcheck?: boolean;
  keep?: boolean;
  timeout?: number;
  owner?: string;
  config?: string;
  envdir?: string;
}

export const backupVerifyCommand = {
  async handler(ctx: CommandContext, args: VerifyArgs): Promise<void> {
    const level = (args.level ?? 'restore') as VerifyLevel;
    if (level !== 'files' && level !== 'restore') throw new UsageError(`--level ${args.level} is not files or restore`, { hint: 'files: checksums and WAL only; restore (default): also restore, start and check a server' });
    const timeout = args.timeout ?? 3600;
    if (!Number.isFinite(timeout) || timeout <= 0) throw new UsageError(`--timeout ${args.timeout} is not a positive number of seconds`);
    const checkSql = args['check-sql'] ? await readCheckSql(resolve(args['check-sql'])) : [];
    if (level === 'files' && (checkSql.length || args['to-end'] || args.keep)) {
      throw new UsageError('--check-sql, --to-end and --keep need --level restore', { hint: 'the files level starts no server' });
    }
    if (args['all-unverified'] && args.backup !== undefined) {
      throw new UsageError(`--all-unverified verifies every backup without a record: it takes no backup name (got ${args.backup})`, { hint: 'give either a backup name (or LATEST) or --all-unverified' });
    }
    const user = serverUser(args.owner);
    const aborted = new AbortController();
    const onSignal = (signal: string): void => {
      if (!aborted.signal.aborted) ctx.log.warn({ signal }, `${signal} received: stopping the verification`);
      aborted.abort();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    try {
      await withStorage(ctx, async (storage) => {
        const options: Omit<VerifyOptions, 'backup'> = {
          storage,
          level,
          toEnd: Boolean(args['to-end']),
          checkSql,
          amcheck: args.amcheck !== false,
          keep: Boolean(args.keep),
          timeoutSeconds: timeout,
          verifyDir: resolve(ctx.settings.get('verifyDir')?.value ?? DEFAULT_VERIFY_DIR),
          pgBin: args['pg-bin'] ? resolve(args['pg-bin']) : undefined,
          env: process.env,
          user,
          restoreCommand: walFetchCommand(args, ctx.settings),
          signal: aborted.signal,
          pgwardVersion: PGWARD_VERSION,
          log: ctx.log,
        };
        if (args['all-unverified']) {
          const outcome = await verifyAllUnverified(options);
          for (const { record } of outcome.verified) reportVerified(ctx, record);
          if (ctx.json) printJson([...outcome.verified.map((v) => ({ ...v.record, key: v.key })), ...outcome.failed.map((f) => f.record ?? { backup: f.backup, result: 'failed', message: f.error.message })]);
          else if (!outcome.verified.length && !outcome.failed.length) process.stdout.write('nothing to verify: every complete backup has a verification record\n');
          else for (const f of outcome.failed) process.stdout.write(`${f.backup} FAILED: ${f.error.message}\n`);
          const failure = failureOfAll(outcome);
          if (failure) throw failure;
          return;
        }
        const backup = args.backup ?? 'LATEST';
        let outcome;
        try {
          outcome = await verifyBackup({ ...options, backup });
        } catch (err) {
          if (err instanceof VerificationFailedError) ctx.log.error({ verdict: 'failed', backup }, `FAILED: ${err.message}`);
          throw err;
        }
        reportVerified(ctx, outcome.record);
        if (ctx.json) printJson({ ...outcome.record, key: outcome.key });
      }, 'read');
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  },
};

function reportVerified(ctx: CommandContext, record: VerificationRecord): void {
  ctx.log.info({ verdict: 'verified', backup: record.backup, restoreSeconds: record.restoreSeconds, recoverySeconds: record.recoverySeconds, totalSeconds: record.totalSeconds }, `backup ${record.backup} verified at level ${record.level} in ${record.totalSeconds} s`);
  if (ctx.json) return;
  const times = record.level === 'restore' ? `: restore ${record.restoreSeconds} s, recovery ${record.recoverySeconds} s, ` : ': ';
  process.stdout.write(`${record.backup} verified (${record.level})${times}${record.checks.length} checks in ${record.totalSeconds} s\n`);
}

// backup-verify --all-unverified: the daily timer's job. Every complete backup without a verification
// record is verified, oldest first, so a backup taken since the last run gets its proof. A backup whose
// newest record is FAILED is not unverified: its verdict stands until a DBA verifies it by name, so a
// timer can never turn a failed proof into a pass behind anyone's back. A failed verification does not
// stop the run (the others still get their proof); anything else (storage down, a signal) does.
import { listBackups } from '../backup/catalog.js';
import type { BackupSentinel } from '../backup/manifest.js';
import { VerificationFailedError } from '../errors/errors.js';
import type { Storage } from '../storage/storage.js';
import { verifyBackup, type VerifyOptions, type VerifyOutcome } from './backup-verify.js';
import { newestVerification, type VerificationRecord } from './record.js';

export interface AllUnverifiedOutcome {
  verified: VerifyOutcome[];
  failed: Array<{ backup: string; error: VerificationFailedError; record?: VerificationRecord }>;
}

/** Complete backups with no verification record, oldest first. */
export async function unverifiedBackups(storage: Storage): Promise<BackupSentinel[]> {
  const { complete } = await listBackups(storage);
  const unverified: BackupSentinel[] = [];
  for (const sentinel of complete) if (!(await newestVerification(storage, sentinel.name))) unverified.push(sentinel);
  return unverified;
}

export async function verifyAllUnverified(options: Omit<VerifyOptions, 'backup'>): Promise<AllUnverifiedOutcome> {
  const backups = await unverifiedBackups(options.storage);
  const outcome: AllUnverifiedOutcome = { verified: [], failed: [] };
  if (!backups.length) {
    options.log.info({ phase: 'verifying', backups: 0 }, 'every complete backup already has a verification record: nothing to verify');
    return outcome;
  }
  options.log.info({ phase: 'verifying', backups: backups.length }, `${backups.length} backup(s) without a verification record: ${backups.map((b) => b.name).join(', ')}`);
  for (const [index, sentinel] of backups.entries()) {
    options.log.info({ backup: sentinel.name, index: index + 1, of: backups.length }, `backup ${index + 1} of ${backups.length}: ${sentinel.name}`);
    try {
      outcome.verified.push(await verifyBackup({ ...options, backup: sentinel.name }));
    } catch (err) {
      if (!(err instanceof VerificationFailedError)) throw err;
      options.log.error({ verdict: 'failed', backup: sentinel.name }, `FAILED: ${sentinel.name}: ${err.message}`);
      const record = await newestVerification(options.storage, sentinel.name).catch(() => undefined);
      outcome.failed.push({ backup: sentinel.name, error: err, ...(record ? { record } : {}) });
    }
  }
  return outcome;
}

/** Exit 12 naming the first failure and listing every one, once all backups had their turn. */
export function failureOfAll(outcome: AllUnverifiedOutcome): VerificationFailedError | undefined {
  const [first, ...others] = outcome.failed;
  if (!first) return undefined;
  const total = outcome.failed.length + outcome.verified.length;
  const also = others.length ? `; also failed: ${others.map((f) => f.backup).join(', ')}` : '';
  return new VerificationFailedError(`${outcome.failed.length} of ${total} backup(s) failed verification: ${first.backup}: ${first.error.message}${also}`, {
    hint: first.error.hint ?? 'see each backup\'s verification record (backup-list shows FAILED) and take a new backup if it cannot be restored',
  });
}

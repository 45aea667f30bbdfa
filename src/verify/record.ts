// The proof of a verification, stored next to the backup: one write-once JSON object per run
// (basebackups_005/<name>/verify/<time>-<level>.json), written last, so a record exists only for a run
// that reached a verdict. backup-list shows the newest one.
import { IntegrityError } from '../errors/errors.js';
import { verificationKey, verificationPrefix } from '../repo/layout.js';
import { getBuffer, type Storage } from '../storage/storage.js';
import type { CheckOutcome } from './check-list.js';

export const VERIFICATION_FORMAT = 'pgward-verification/1';

export interface VerificationRecord {
  format: typeof VERIFICATION_FORMAT;
  backup: string;
  result: 'verified' | 'failed';
  level: 'files' | 'restore';
  toEnd: boolean;
  /** the check that failed, and why */
  failedCheck?: string;
  message?: string;
  checks: CheckOutcome[];
  /** restore into the scratch, recovery to consistency (or the archive's end): the backup's real recovery time */
  restoreSeconds?: number;
  recoverySeconds?: number;
  totalSeconds: number;
  /** the WAL checked at the files level and, from the server log, where replay ended */
  walSegments: number;
  replayedTo?: string;
  pgwardVersion: string;
  postgresVersion?: string;
  pgBin?: string;
  host: string;
  startedAt: string;
  finishedAt: string;
}

export async function storeVerification(storage: Storage, record: VerificationRecord): Promise<string> {
  const key = verificationKey(record.backup, new Date(record.finishedAt), record.level);
  const body = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
  // Write-once like every backup object: a second run in the same millisecond gets its own name.
  if ((await storage.putIfAbsent(key, body)) === 'exists') {
    const again = key.replace(/\.json$/, `-${process.pid}.json`);
    await storage.putIfAbsent(again, body);
    return again;
  }
  return key;
}

/** The newest record of a backup, or undefined when it was never verified. */
export async function newestVerification(storage: Storage, backup: string): Promise<VerificationRecord | undefined> {
  let newest: string | undefined;
  for await (const item of storage.list(verificationPrefix(backup))) if (item.key.endsWith('.json') && (!newest || item.key > newest)) newest = item.key;
  if (!newest) return undefined;
  const body = await getBuffer(storage, newest);
  try {
    const record = body ? (JSON.parse(body.toString('utf8')) as VerificationRecord) : undefined;
    if (record?.format === VERIFICATION_FORMAT) return record;
  } catch {
    // reported below
  }
  throw new IntegrityError(`${storage.location}/${newest} is not a verification record`, { hint: 'the object is damaged; run backup-verify again to record a new one' });
}

// How a cluster is recovering, which decides what a failed wal-fetch must look like to PostgreSQL.
// In archive recovery (PITR, restore from backup) a status above 125 makes the startup process
// fail, so recovery stops instead of ending at the failed file and promoting early at the wrong point.
// A standby retries restore_command by itself, so there a normal error status is right.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export type RecoveryMode = 'standby' | 'archive-recovery' | 'unknown';

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

export async function recoveryMode(dataDirectory: string): Promise<RecoveryMode> {
  if (await exists(join(dataDirectory, 'standby.signal'))) return 'standby';
  if (await exists(join(dataDirectory, 'recovery.signal'))) return 'archive-recovery';
  // PostgreSQL before 12: recovery.conf, a standby when standby_mode is on.
  const conf = await readFile(join(dataDirectory, 'recovery.conf'), 'utf8').catch(() => undefined);
  if (conf === undefined) return 'unknown';
  return /^\s*standby_mode\s*=\s*'?(on|true|yes|1)'?/im.test(conf) ? 'standby' : 'archive-recovery';
}

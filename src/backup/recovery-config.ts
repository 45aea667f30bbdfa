// Recovery settings for a restored data directory: PostgreSQL 12+ reads them from the configuration
// (postgresql.auto.conf here) plus recovery.signal; older releases from recovery.conf.
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface RecoveryTarget {
  time?: string;
  lsn?: string;
  name?: string;
  action?: 'promote' | 'pause' | 'shutdown';
}

export function quoteSetting(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export function recoverySettings(restoreCommand: string, target: RecoveryTarget, disableArchiving: boolean): string[] {
  const lines = [`restore_command = ${quoteSetting(restoreCommand)}`];
  if (target.time) lines.push(`recovery_target_time = ${quoteSetting(target.time)}`);
  if (target.lsn) lines.push(`recovery_target_lsn = ${quoteSetting(target.lsn)}`);
  if (target.name) lines.push(`recovery_target_name = ${quoteSetting(target.name)}`);
  if (target.time || target.lsn || target.name) lines.push(`recovery_target_action = ${quoteSetting(target.action ?? 'promote')}`);
  if (disableArchiving) lines.push(`archive_mode = 'off'`);
  return lines;
}

export async function writeRecoveryConfig(dataDirectory: string, pgVersionNum: number, lines: string[]): Promise<string[]> {
  const block = `\n# Added by pgward backup-fetch ${new Date().toISOString()}\n${lines.join('\n')}\n`;
  if (pgVersionNum >= 120000) {
    await appendFile(join(dataDirectory, 'postgresql.auto.conf'), block);
    await writeFile(join(dataDirectory, 'recovery.signal'), '');
    return ['postgresql.auto.conf', 'recovery.signal'];
  }
  // Before 12, archive_mode stays in postgresql.conf: recovery.conf takes recovery settings only.
  await writeFile(join(dataDirectory, 'recovery.conf'), `${block}`.replace(/^archive_mode.*$/m, ''));
  return ['recovery.conf'];
}

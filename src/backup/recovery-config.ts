// Recovery settings for a restored data directory: PostgreSQL 12+ reads them from the configuration
// (postgresql.auto.conf here) plus recovery.signal; older releases from recovery.conf, which takes
// recovery settings only, so server settings (archive_mode) go to postgresql.auto.conf on every major.
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface RecoveryTarget {
  time?: string;
  lsn?: string;
  name?: string;
  action?: 'promote' | 'pause' | 'shutdown';
  /** recovery_target = 'immediate': stop as soon as the backup is consistent (backup-verify) */
  immediate?: boolean;
}

export interface RecoverySettings {
  /** restore_command and the target: postgresql.auto.conf from 12, recovery.conf before */
  recovery: string[];
  /** server settings: always postgresql.auto.conf (read by every major since 9.4) */
  server: string[];
}

export function quoteSetting(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export function recoverySettings(restoreCommand: string, target: RecoveryTarget, disableArchiving: boolean): RecoverySettings {
  const recovery = [`restore_command = ${quoteSetting(restoreCommand)}`];
  if (target.time) recovery.push(`recovery_target_time = ${quoteSetting(target.time)}`);
  if (target.lsn) recovery.push(`recovery_target_lsn = ${quoteSetting(target.lsn)}`);
  if (target.name) recovery.push(`recovery_target_name = ${quoteSetting(target.name)}`);
  if (target.immediate) recovery.push(`recovery_target = 'immediate'`);
  if (target.time || target.lsn || target.name || target.immediate) recovery.push(`recovery_target_action = ${quoteSetting(target.action ?? 'promote')}`);
  return { recovery, server: disableArchiving ? [`archive_mode = 'off'`] : [] };
}

const block = (lines: string[], at: Date): string => `\n# Added by pgward backup-fetch ${at.toISOString()}\n${lines.join('\n')}\n`;

export interface ConfigFileWrite {
  /** relative to the data directory */
  name: string;
  content: string;
  /** append (postgresql.auto.conf keeps the source's settings) rather than create */
  append: boolean;
}

/** Which files get which settings for a major (pgVersionNum, e.g. 110005). */
export function recoveryFiles(pgVersionNum: number, settings: RecoverySettings, at = new Date()): ConfigFileWrite[] {
  if (pgVersionNum >= 120000) {
    return [
      { name: 'postgresql.auto.conf', content: block([...settings.recovery, ...settings.server], at), append: true },
      { name: 'recovery.signal', content: '', append: false },
    ];
  }
  const files = [{ name: 'recovery.conf', content: block(settings.recovery, at), append: false }];
  if (settings.server.length > 0) files.push({ name: 'postgresql.auto.conf', content: block(settings.server, at), append: true });
  return files;
}

/** Writes the settings; returns the files written, relative to the data directory. */
export async function writeRecoveryConfig(dataDirectory: string, pgVersionNum: number, settings: RecoverySettings): Promise<string[]> {
  const files = recoveryFiles(pgVersionNum, settings);
  for (const file of files) await (file.append ? appendFile : writeFile)(join(dataDirectory, file.name), file.content);
  return files.map((file) => file.name);
}

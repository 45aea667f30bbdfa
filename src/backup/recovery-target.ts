// Point-in-time targets and which backup can reach them. A target is checked here, before anything
// is written: PostgreSQL only reads it when the restored server starts, and a value it cannot parse
// (or a backup that ends after the target) then fails or recovers to the wrong point. Pure functions:
// the timeline lineage is read from the repository by the caller.
import { UsageError } from '../errors/errors.js';
import type { TimelineSwitch } from '../wal/timeline-history.js';
import type { BackupSentinel } from './manifest.js';
import type { RecoveryTarget } from './recovery-config.js';

export type ResolvedTarget =
  | { kind: 'none' }
  /** micros: microseconds since the epoch, UTC; text: the form written for PostgreSQL (always with +00) */
  | { kind: 'time'; micros: bigint; text: string }
  | { kind: 'lsn'; lsn: bigint; text: string }
  | { kind: 'name'; text: string };

/** The timeline recovery will follow ('latest': the newest in the archive) and where its ancestors ended. */
export interface Lineage {
  timeline: number;
  /** from the timeline's history file: each ancestor and the LSN at which it ended */
  switches: TimelineSwitch[];
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;
const ZONE = /^(?:(Z|UTC|GMT)|([+-])(\d{2})(?::?(\d{2}))?)$/i;
const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

function splitZone(text: string): { local: string; zone?: string } {
  const match = /^(.*?\d)\s*((?:Z|UTC|GMT)|[+-]\d{2}(?::?\d{2})?|[A-Za-z][A-Za-z_/+-]*)$/i.exec(text);
  return match ? { local: match[1]!, zone: match[2]! } : { local: text };
}

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/**
 * An ISO 8601 / PostgreSQL timestamp with a time zone offset. A time without one is refused: the
 * restored server's TimeZone setting would decide what it means, and pgward could not choose the
 * backup for it. Named zones are refused too (their offset depends on the tz database and on DST).
 */
export function parseTargetTime(input: string): { micros: bigint; text: string } {
  const text = input.trim();
  const example = '2026-11-22 06:20:00+00';
  const { local, zone } = splitZone(text);
  const parts = DATE_TIME.exec(local);
  if (!parts) {
    throw new UsageError(`--target-time ${JSON.stringify(input)} is not a timestamp`, { hint: `give a date, a time and a UTC offset, e.g. '${example}'` });
  }
  if (zone === undefined) {
    throw new UsageError(`--target-time ${JSON.stringify(input)} has no time zone`, {
      hint: `without one the restored server's TimeZone setting decides what it means; add the offset, e.g. '${local}+00' for UTC`,
    });
  }
  const offset = ZONE.exec(zone);
  if (!offset) {
    throw new UsageError(`--target-time ${JSON.stringify(input)} names the time zone ${zone}`, {
      hint: `give a numeric UTC offset instead (e.g. '${local}+01'), or Z/UTC`,
    });
  }
  const [year, month, day, hour, minute] = parts.slice(1, 6).map(Number) as [number, number, number, number, number];
  const second = Number(parts[6] ?? 0);
  const fraction = (parts[7] ?? '').padEnd(6, '0');
  const offsetHours = offset[1] ? 0 : Number(offset[3]);
  const offsetMinutes = offset[1] ? 0 : Number(offset[4] ?? 0);
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  const valid =
    check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day && hour < 24 && minute < 60 && second < 60 && offsetHours <= 15 && offsetMinutes < 60;
  if (!valid || Number.isNaN(ms)) {
    throw new UsageError(`--target-time ${JSON.stringify(input)} is not a valid date and time`, { hint: `e.g. '${example}'` });
  }
  const sign = offset[2] === '-' ? -1 : 1;
  const utcMs = ms - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  const micros = BigInt(utcMs) * 1000n + BigInt(fraction);
  const utc = new Date(utcMs);
  const written =
    `${pad(utc.getUTCFullYear(), 4)}-${pad(utc.getUTCMonth() + 1)}-${pad(utc.getUTCDate())} ` +
    `${pad(utc.getUTCHours())}:${pad(utc.getUTCMinutes())}:${pad(utc.getUTCSeconds())}.${fraction}+00`;
  return { micros, text: written };
}

export function parseTargetLsn(input: string): { lsn: bigint; text: string } {
  const match = LSN.exec(input.trim());
  if (!match) throw new UsageError(`--target-lsn ${JSON.stringify(input)} is not an LSN`, { hint: "an LSN is two hexadecimal numbers, e.g. '0/3000060' (pg_current_wal_lsn())" });
  const [high, low] = [match[1]!.toUpperCase(), match[2]!.toUpperCase()];
  return { lsn: (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`), text: `${high}/${low}` };
}

/** At most one target, each in a form PostgreSQL will accept (it refuses several at start-up). */
export function resolveTarget(target: RecoveryTarget): ResolvedTarget {
  const given = (['time', 'lsn', 'name'] as const).filter((k) => target[k] !== undefined);
  if (given.length > 1) {
    throw new UsageError(`give one recovery target, not ${given.map((k) => `--target-${k}`).join(' and ')}`, { hint: 'PostgreSQL refuses to start with more than one recovery target' });
  }
  if (target.time !== undefined) return { kind: 'time', ...parseTargetTime(target.time) };
  if (target.lsn !== undefined) return { kind: 'lsn', ...parseTargetLsn(target.lsn) };
  if (target.name !== undefined) {
    if (target.name === '') throw new UsageError('--target-name is empty', { hint: 'name the restore point created with pg_create_restore_point()' });
    return { kind: 'name', text: target.name };
  }
  return { kind: 'none' };
}

const lsnText = (lsn: bigint): string => `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;

function parseSentinelLsn(text: string): bigint {
  return parseTargetLsn(text).lsn;
}

/** Why `backup` cannot recover to `target` along `lineage`, or undefined when it can. */
export function unreachableReason(backup: BackupSentinel, target: ResolvedTarget, lineage: Lineage | undefined): string | undefined {
  if (target.kind === 'none' || target.kind === 'name') return undefined;
  const stop = parseSentinelLsn(backup.stopLsn);
  if (lineage && backup.timeline !== lineage.timeline) {
    const ancestor = lineage.switches.find((s) => s.timeline === backup.timeline);
    if (!ancestor) return `it is on timeline ${backup.timeline}, which is not an ancestor of timeline ${lineage.timeline} that recovery follows`;
    if (stop > ancestor.switchLsn) return `it ends at ${backup.stopLsn}, after timeline ${backup.timeline} ended at ${lsnText(ancestor.switchLsn)} in the history of timeline ${lineage.timeline}`;
  }
  if (target.kind === 'time') {
    const finished = BigInt(Date.parse(backup.finishedAt)) * 1000n;
    if (finished >= target.micros) return `it finished at ${backup.finishedAt}, not before ${target.text}`;
    return undefined;
  }
  if (stop > target.lsn) return `it ends at ${backup.stopLsn}, after ${target.text}`;
  return undefined;
}

/**
 * The backup to restore. LATEST with a time or LSN target is the newest complete backup that can
 * reach it; a named backup that cannot is refused, naming one that can. A restore point name cannot
 * be placed without reading the WAL, so it leaves the choice as it is.
 */
export function chooseBackup(complete: BackupSentinel[], requested: string, target: ResolvedTarget, lineage: Lineage | undefined): BackupSentinel {
  const newest = [...complete].sort((a, b) => a.finishedAt.localeCompare(b.finishedAt)).reverse();
  const reachable = newest.find((b) => unreachableReason(b, target, lineage) === undefined);
  const what = target.kind === 'time' ? `--target-time ${target.text}` : target.kind === 'lsn' ? `--target-lsn ${target.text}` : '';
  if (requested === 'LATEST') {
    if (reachable) return reachable;
    const oldest = newest.at(-1);
    throw new UsageError(`no complete backup can recover to ${what}`, {
      hint: oldest ? `the oldest backup, ${oldest.name}, cannot: ${unreachableReason(oldest, target, lineage)}; choose a later target` : 'take one with pgward backup-push',
    });
  }
  const named = complete.find((b) => b.name === requested);
  if (!named) throw new UsageError(`backup ${requested} is not a complete backup`, { hint: 'pgward backup-list shows the complete backups' });
  const reason = unreachableReason(named, target, lineage);
  if (reason === undefined) return named;
  throw new UsageError(`backup ${requested} cannot recover to ${what}: ${reason}`, {
    hint: reachable ? `restore ${reachable.name} (the newest backup that can), or LATEST` : 'no complete backup in this repository can reach that target; choose a later one',
  });
}

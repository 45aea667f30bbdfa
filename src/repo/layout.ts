// Every key of the repository is built here and nowhere else. The folders are the ones wal-e and
// WAL-G users know (wal_005/, basebackups_005/), so existing tooling and habits carry over.
export const STAMP_KEY = 'pgward.json';
export const WAL_PREFIX = 'wal_005/';
export const BACKUP_PREFIX = 'basebackups_005/';
export const SENTINEL_SUFFIX = '_backup_stop_sentinel.json';
/** one write-once object per location (host + data directory) allowed to write into the repository */
export const LOCATIONS_PREFIX = 'locations/';

/** locations/<id>.json, where id is a short hash of the host and the data directory. */
export function locationKey(id: string): string {
  return `${LOCATIONS_PREFIX}${id}.json`;
}

export function walKey(fileName: string, extension: string): string {
  return `${WAL_PREFIX}${fileName}${extension ? `.${extension}` : ''}`;
}

export function backupPrefix(backupName: string): string {
  return `${BACKUP_PREFIX}${backupName}/`;
}

/** tar_partitions/part_00000001.tar.lz4 under the backup's folder (wal-e/WAL-G naming). */
export function partitionKey(backupName: string, number: number, extension: string): string {
  return `${backupPrefix(backupName)}tar_partitions/part_${String(number).padStart(8, '0')}.tar${extension ? `.${extension}` : ''}`;
}

export function sentinelKey(backupName: string): string {
  return `${BACKUP_PREFIX}${backupName}${SENTINEL_SUFFIX}`;
}

/** The WAL file name and ending of a key under wal_005/, or undefined for anything else. */
export function parseWalKey(key: string): { fileName: string; extension: string } | undefined {
  if (!key.startsWith(WAL_PREFIX)) return undefined;
  const rest = key.slice(WAL_PREFIX.length);
  if (rest.includes('/')) return undefined;
  const match = /^([0-9A-F]{8}\.history|[0-9A-F]{24}(?:\.partial|\.[0-9A-F]{8}\.backup)?)(?:\.([a-z0-9]+))?$/.exec(rest);
  return match ? { fileName: match[1]!, extension: match[2] ?? '' } : undefined;
}

/** claim.json is the backup's first object, created only if absent: it reserves the name. */
export function backupObjectKey(backupName: string, file: 'backup_label' | 'tablespace_map' | 'manifest.json' | 'claim.json'): string {
  return `${backupPrefix(backupName)}${file}`;
}

/** The backup name of a sentinel key, or undefined for any other key. */
export function backupNameOfSentinel(key: string): string | undefined {
  if (!key.startsWith(BACKUP_PREFIX) || !key.endsWith(SENTINEL_SUFFIX)) return undefined;
  const name = key.slice(BACKUP_PREFIX.length, -SENTINEL_SUFFIX.length);
  return name.includes('/') ? undefined : name;
}

/**
 * verify/<time>-<level>.json under the backup's folder: one write-once record per backup-verify run,
 * named so that key order is time order; delete removes them with the backup's folder.
 */
export function verificationPrefix(backupName: string): string {
  return `${backupPrefix(backupName)}verify/`;
}

export function verificationKey(backupName: string, at: Date, level: string): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.(\d{3})Z$/, '$1Z');
  return `${verificationPrefix(backupName)}${stamp}-${level}.json`;
}

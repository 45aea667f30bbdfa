// Every key of the repository is built here and nowhere else. The folders are the ones wal-e and
// WAL-G users know (wal_005/, basebackups_005/), so existing tooling and habits carry over.
export const STAMP_KEY = 'pgward.json';
export const WAL_PREFIX = 'wal_005/';
export const BACKUP_PREFIX = 'basebackups_005/';
export const SENTINEL_SUFFIX = '_backup_stop_sentinel.json';

export function walKey(fileName: string, extension: string): string {
  return `${WAL_PREFIX}${fileName}${extension ? `.${extension}` : ''}`;
}

export function backupPrefix(backupName: string): string {
  return `${BACKUP_PREFIX}${backupName}/`;
}

export function sentinelKey(backupName: string): string {
  return `${BACKUP_PREFIX}${backupName}${SENTINEL_SUFFIX}`;
}

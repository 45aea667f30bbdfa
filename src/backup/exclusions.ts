// What a base backup leaves out, following PostgreSQL's own base backup (src/backend/backup/
// basebackup.c) and the documentation's list for low-level backups:
// - folders whose contents PostgreSQL recreates at start (kept as empty folders for their modes),
// - files that must not be restored (postmaster.pid, old backup labels, the relcache init file...),
// - pg_wal contents (WAL comes from the archive), temporary files and temporary relations,
// - unlogged relations, except their init forks (the server resets them from those at start).
export const EXCLUDED_DIR_CONTENTS = new Set([
  'pg_stat_tmp',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_subtrans',
  'pg_wal',
  'pg_xlog',
]);

const EXCLUDED_FILES = new Set([
  'postgresql.auto.conf.tmp',
  'current_logfiles.tmp',
  'backup_label',
  'tablespace_map',
  'backup_manifest',
  'postmaster.pid',
  'postmaster.opts',
  // A restored server must not inherit recovery signals from its source (a backup of a standby).
  'standby.signal',
  'recovery.signal',
]);

const TEMP_PREFIX = 'pgsql_tmp';
/** Temporary relations: t<backend>_<relfilenode>[_fork][.segment] */
const TEMP_RELATION = /^t\d+_\d+/;
/** Relation files in a database folder: <relfilenode>[_fork][.segment] */
const RELATION_FILE = /^(\d+)(?:_(fsm|vm|init))?(?:\.\d+)?$/;

/** Whether a top-level (data directory relative) folder keeps its contents. */
export function keepsContents(topLevelDir: string): boolean {
  return !EXCLUDED_DIR_CONTENTS.has(topLevelDir);
}

/** Whether a file (by name, and the folder it is in) is excluded outright. */
export function isExcludedFile(name: string, inTopLevel: boolean): boolean {
  if (name.startsWith('pg_internal.init')) return true;
  if (name.startsWith(TEMP_PREFIX)) return true;
  if (inTopLevel && EXCLUDED_FILES.has(name)) return true;
  return TEMP_RELATION.test(name);
}

export function isTempDir(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

/**
 * In one database folder, the relation files of unlogged relations, which have an init fork: all their
 * forks but the init fork are left out.
 */
export function unloggedExclusions(fileNames: readonly string[]): Set<string> {
  const unlogged = new Set<string>();
  for (const name of fileNames) {
    const match = RELATION_FILE.exec(name);
    if (match?.[2] === 'init') unlogged.add(match[1]!);
  }
  const excluded = new Set<string>();
  if (unlogged.size === 0) return excluded;
  for (const name of fileNames) {
    const match = RELATION_FILE.exec(name);
    if (match && unlogged.has(match[1]!) && match[2] !== 'init') excluded.add(name);
  }
  return excluded;
}

/** Database folders, where relation files live: base/<oid>, global, and PG_<ver>_<cat>/<oid> in tablespaces. */
export function isDatabaseDir(relDir: string): boolean {
  return /^(base\/\d+|global|pg_tblspc\/\d+\/PG_[^/]+\/\d+)$/.test(relDir);
}

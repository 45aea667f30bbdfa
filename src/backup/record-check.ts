// What a repository says about a backup is input, not truth: a sentinel or manifest may be damaged or
// written by someone else. Before anything is downloaded or written, every field a restore relies on
// is checked for shape and for consistency (names, keys, versions, paths), so a tampered record is an
// IntegrityError naming the object and the field, never a crash or a write somewhere unexpected.
import { EXTENSIONS, WRITE_METHODS, type WriteMethod } from '../codec/compression.js';
import { majorFromVersionNum, parsePgVersion, PgVersionParseError } from '../cluster/pg-version.js';
import { IntegrityError } from '../errors/errors.js';
import { partitionKey } from '../repo/layout.js';
import type { BackupManifest, BackupSentinel } from './manifest.js';

const DAMAGED = 'the backup record is damaged or was not written by pgward; use another backup';

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isSha256 = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length < 4096 && !value.includes('\0');

/** A relative path of plain segments: no absolute names, no `.`/`..`, no empty segments. */
export function isPlainRelativePath(name: unknown): name is string {
  if (!isText(name) || name.startsWith('/') || name.includes('\\')) return false;
  return name.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

function refuse(where: string, what: string): never {
  throw new IntegrityError(`${where} ${what}`, { hint: DAMAGED });
}

/** The sentinel found under `name`'s key: it must describe that backup, of a major pgward knows. */
export function checkSentinel(value: BackupSentinel, name: string, where: string): BackupSentinel {
  if (value.name !== name) refuse(where, `names backup ${JSON.stringify(String(value.name).slice(0, 80))}, not ${name} whose key it is stored under`);
  if (!Number.isSafeInteger(value.timeline) || value.timeline < 1) refuse(where, `holds no valid timeline (${JSON.stringify(value.timeline)})`);
  if (!Number.isSafeInteger(value.pgVersionNum) || value.pgVersionNum < 90400) refuse(where, `holds no valid PostgreSQL version number (${JSON.stringify(value.pgVersionNum)})`);
  try {
    parsePgVersion(String(value.pgMajor));
  } catch (err) {
    const why = err instanceof PgVersionParseError && err.unsupported ? 'a PostgreSQL major this pgward does not know' : 'not a PostgreSQL major version';
    refuse(where, `records PostgreSQL ${JSON.stringify(String(value.pgMajor).slice(0, 20))}, ${why}`);
  }
  if (majorFromVersionNum(value.pgVersionNum) !== value.pgMajor) {
    refuse(where, `records PostgreSQL ${value.pgMajor} but version number ${value.pgVersionNum} (major ${majorFromVersionNum(value.pgVersionNum)})`);
  }
  if (!Array.isArray(value.tablespaces)) refuse(where, 'holds no tablespace list');
  // Fields that listing, choosing by recovery target and the restore's checks compute with.
  const lsn = /^[0-9A-F]{1,8}\/[0-9A-F]{1,8}$/i;
  const segment = /^[0-9A-F]{24}$/i;
  const fields: Array<[string, boolean]> = [
    ['startLsn', typeof value.startLsn === 'string' && lsn.test(value.startLsn)],
    ['stopLsn', typeof value.stopLsn === 'string' && lsn.test(value.stopLsn)],
    ['walStart', typeof value.walStart === 'string' && segment.test(value.walStart)],
    ['walStop', typeof value.walStop === 'string' && segment.test(value.walStop)],
    ['startedAt', typeof value.startedAt === 'string' && !Number.isNaN(Date.parse(value.startedAt))],
    ['finishedAt', typeof value.finishedAt === 'string' && !Number.isNaN(Date.parse(value.finishedAt))],
    ['systemIdentifier', typeof value.systemIdentifier === 'string' && /^\d{1,20}$/.test(value.systemIdentifier)],
    ['dataDirectory', isText(value.dataDirectory) && value.dataDirectory.startsWith('/')],
    ['host', typeof value.host === 'string'],
    ['port', Number.isSafeInteger(value.port)],
    ['rawSize', isCount(value.rawSize)],
    ['storedSize', isCount(value.storedSize)],
  ];
  const bad = fields.find(([, ok]) => !ok);
  if (bad) refuse(where, `holds no valid ${bad[0]} (${JSON.stringify((value as unknown as Record<string, unknown>)[bad[0]])?.slice(0, 80)})`);
  return value;
}

/** The manifest of `sentinel`'s backup: every key inside the backup's own folder, every path plain. */
export function checkManifest(manifest: BackupManifest, sentinel: BackupSentinel, where: string): WriteMethod {
  if (manifest.name !== sentinel.name) refuse(where, `names backup ${JSON.stringify(String(manifest.name).slice(0, 80))}, not ${sentinel.name}`);
  const method = manifest.compression as WriteMethod;
  if (!(WRITE_METHODS as readonly string[]).includes(method)) refuse(where, `names compression ${JSON.stringify(String(manifest.compression).slice(0, 40))}, which is not one of ${WRITE_METHODS.join(', ')}`);
  for (const list of ['files', 'directories', 'tablespaces', 'partitions'] as const) {
    if (!Array.isArray(manifest[list])) refuse(where, `holds no ${list} list`);
  }

  const partitions = new Set<number>();
  for (const p of manifest.partitions) {
    if (!p || !Number.isSafeInteger(p.number) || p.number < 1 || partitions.has(p.number)) refuse(where, `holds a partition with a missing or repeated number (${JSON.stringify(p?.number)})`);
    partitions.add(p.number);
    const key = partitionKey(sentinel.name, p.number, EXTENSIONS[method]);
    if (p.key !== key) refuse(where, `gives partition ${p.number} the key ${JSON.stringify(String(p.key).slice(0, 200))}, not ${key}`);
    if (!isCount(p.storedSize) || !isCount(p.rawSize) || !isSha256(p.storedSha256)) refuse(where, `holds no valid size or sha256 for ${key}`);
  }

  const tablespaces = new Set<string>();
  for (const ts of manifest.tablespaces) {
    if (!ts || typeof ts.oid !== 'string' || !/^[1-9]\d{0,9}$/.test(ts.oid) || tablespaces.has(ts.oid)) refuse(where, `holds a tablespace with a missing or repeated oid (${JSON.stringify(ts?.oid)})`);
    if (!isText(ts.location)) refuse(where, `holds no location for tablespace ${ts.oid}`);
    tablespaces.add(ts.oid);
  }

  // Files and directories share one namespace: a name may appear once, and nothing may sit below a file.
  const kinds = new Map<string, 'file' | 'directory'>();
  for (const d of manifest.directories) {
    if (!d || !isPlainRelativePath(d.name)) refuse(where, `lists a directory with an unsafe name ${JSON.stringify(d?.name)}`);
    if (!Number.isSafeInteger(d.mode)) refuse(where, `holds no mode for directory ${d.name}`);
    kinds.set(d.name, 'directory');
  }
  for (const f of manifest.files) {
    if (!f || !isPlainRelativePath(f.name)) refuse(where, `lists a file with an unsafe name ${JSON.stringify(f?.name)}`);
    if (kinds.has(f.name)) refuse(where, `lists ${f.name} twice (or as both a file and a directory)`);
    if (!isCount(f.size) || !isSha256(f.sha256) || !Number.isSafeInteger(f.mode) || typeof f.mtime !== 'string' || Number.isNaN(Date.parse(f.mtime))) {
      refuse(where, `holds no valid size, sha256, mode or mtime for ${f.name}`);
    }
    if (!partitions.has(f.partition)) refuse(where, `puts ${f.name} in partition ${JSON.stringify(f.partition)}, which it does not list`);
    const link = /^pg_tblspc\/(\d+)$/.exec(f.name);
    if (link && tablespaces.has(link[1]!)) refuse(where, `lists a file ${f.name} where tablespace ${link[1]} is linked`);
    kinds.set(f.name, 'file');
  }
  for (const name of kinds.keys()) {
    for (let cut = name.lastIndexOf('/'); cut > 0; cut = name.lastIndexOf('/', cut - 1)) {
      if (kinds.get(name.slice(0, cut)) === 'file') refuse(where, `lists ${name} below the file ${name.slice(0, cut)}`);
    }
  }
  return method;
}

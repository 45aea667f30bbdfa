// Where each tablespace of a backup is restored. A location given with --tablespace-map is the
// operator's choice; a location recorded in the manifest comes from the repository, so it is only
// used when it is absolute, outside the restore target, and (checked when it is prepared) absent or
// empty, and backup-fetch announces it before writing anything.
import { isAbsolute, relative, resolve } from 'node:path';
import { RestoreTargetError, UsageError } from '../errors/errors.js';
import type { Tablespace } from './walk.js';

export interface TablespaceLocation {
  oid: string;
  location: string;
  /** true: taken from the manifest, not confirmed with --tablespace-map */
  recorded: boolean;
}

export const remapHint = (oid: string): string => `choose its location with --tablespace-map ${oid}=DIR (an absent or empty directory outside the restore target)`;

const within = (parent: string, path: string): boolean => {
  const rel = relative(parent, path);
  return rel === '' || (!rel.startsWith('../') && rel !== '..' && !isAbsolute(rel));
};

export function chooseLocations(tablespaces: Tablespace[], remap: Map<string, string>, target: string): TablespaceLocation[] {
  const chosen: TablespaceLocation[] = [];
  for (const ts of tablespaces) {
    const mapped = remap.get(ts.oid) ?? remap.get(ts.location);
    const from = mapped === undefined ? 'recorded in the backup' : 'given with --tablespace-map';
    if (mapped === undefined && !isAbsolute(ts.location)) {
      throw new RestoreTargetError(`tablespace ${ts.oid} location ${JSON.stringify(ts.location.slice(0, 200))} recorded in the backup is not an absolute path`, { hint: remapHint(ts.oid) });
    }
    const location = resolve(mapped ?? ts.location);
    // Inside the target, the tablespace's files would mix with (or overwrite) the data directory's.
    if (within(target, location)) {
      throw new RestoreTargetError(`tablespace ${ts.oid} location ${location} (${from}) lies inside the restore target ${target}`, { hint: remapHint(ts.oid) });
    }
    if (within(location, target)) {
      throw new RestoreTargetError(`tablespace ${ts.oid} location ${location} (${from}) contains the restore target ${target}`, { hint: remapHint(ts.oid) });
    }
    const clash = chosen.find((other) => within(other.location, location) || within(location, other.location));
    if (clash) {
      throw new RestoreTargetError(`tablespace ${ts.oid} location ${location} (${from}) overlaps tablespace ${clash.oid} location ${clash.location}`, { hint: remapHint(ts.oid) });
    }
    chosen.push({ oid: ts.oid, location, recorded: mapped === undefined });
  }
  // A mapping that matches nothing is a typo that would silently send the tablespace to its recorded place.
  for (const key of remap.keys()) {
    if (!tablespaces.some((ts) => ts.oid === key || ts.location === key)) {
      const known = tablespaces.map((ts) => `${ts.oid} (${ts.location})`).join(', ') || 'none';
      throw new UsageError(`--tablespace-map ${key}=... names no tablespace of this backup`, { hint: `the backup's tablespaces are: ${known}` });
    }
  }
  return chosen;
}

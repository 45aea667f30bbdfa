// Which locations (host + data directory) may write into a repository. The stamp binds a repository to
// one system identifier, but a restored copy or a standby shares that identifier: only where it runs
// tells production from a test restore promoted elsewhere, whose timeline would otherwise fork the
// archive. Each allowed location is its own write-once object under locations/, so two registrations
// never race on a shared file. The stamp's creator counts as registered without an object, so
// repositories stamped before locations existed keep working.
import { createHash } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { IntegrityError, RepoIdentityError, UsageError } from '../errors/errors.js';
import { getParsed, type Storage } from '../storage/storage.js';
import { locationKey, LOCATIONS_PREFIX } from './layout.js';
import { checkStamp, ensureStamp, readStamp, retireStampOrigin, type EnsureStampResult, type RepoStamp, type StampIdentity } from './stamp.js';

export const LOCATION_FORMAT = 'pgward-location/1';
export const LOCATION_ROLES = ['primary', 'standby', 'restore', 'manual'] as const;
export type LocationRole = (typeof LOCATION_ROLES)[number];

/** What registration needs to know about the cluster at a location. */
export interface LocationIdentity {
  host: string;
  dataDirectory: string;
  systemIdentifier: string;
  pgMajor: string;
}

export interface ArchiveLocation extends LocationIdentity {
  format: typeof LOCATION_FORMAT;
  role: LocationRole;
  registeredAt: string;
  registeredBy: string;
}

/** The host name locations are recorded under (the same one the stamp records). */
export function currentHost(): string {
  return hostname();
}

export function locationId(host: string, dataDirectory: string): string {
  return createHash('sha256').update(`${host}\0${dataDirectory}`).digest('hex').slice(0, 16);
}

export function describeLocation(location: { host: string; dataDirectory: string }): string {
  return `${location.host}:${location.dataDirectory}`;
}

/** The stamp's creator, unless location-remove retired it. */
export function isStampOrigin(stamp: RepoStamp, host: string, dataDirectory: string): boolean {
  return stamp.host === host && stamp.dataDirectory === dataDirectory && !stamp.originRetiredAt;
}

function osUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

function parseLocation(text: string, where: string): ArchiveLocation {
  let value: Partial<ArchiveLocation>;
  try {
    value = JSON.parse(text) as Partial<ArchiveLocation>;
  } catch {
    value = {};
  }
  if (value.format !== LOCATION_FORMAT || typeof value.host !== 'string' || typeof value.dataDirectory !== 'string') {
    throw new IntegrityError(`location ${where} is not a pgward location (${LOCATION_FORMAT})`, {
      hint: 'the object was damaged or written by another tool: remove it with pgward location-remove and register the location again',
    });
  }
  return value as ArchiveLocation;
}

async function stampFor(storage: Storage, identity: LocationIdentity): Promise<RepoStamp> {
  const stamp = await readStamp(storage);
  if (!stamp) {
    throw new UsageError(`repository ${storage.location} has no stamp yet, so no location can be registered in it`, {
      hint: 'run pgward check on the primary first: it stamps the repository for its cluster',
    });
  }
  checkStamp(stamp, { systemIdentifier: identity.systemIdentifier, pgMajor: identity.pgMajor, dataDirectory: identity.dataDirectory, clusterName: identity.dataDirectory }, storage.location);
  return stamp;
}

/**
 * Allows a location to write into the repository (idempotent: an existing registration is kept as
 * it is). Refused (exit 4) when the repository belongs to another cluster. backup-fetch --archive
 * calls this for a restore that replaces its source.
 */
export async function registerLocation(
  storage: Storage,
  identity: LocationIdentity,
  role: LocationRole,
  how = 'pgward',
): Promise<{ location: ArchiveLocation; created: boolean }> {
  await stampFor(storage, identity);
  const location: ArchiveLocation = {
    format: LOCATION_FORMAT,
    host: identity.host,
    dataDirectory: identity.dataDirectory,
    systemIdentifier: identity.systemIdentifier,
    pgMajor: identity.pgMajor,
    role,
    registeredAt: new Date().toISOString(),
    registeredBy: `${how} as ${osUserName()}`,
  };
  const key = locationKey(locationId(identity.host, identity.dataDirectory));
  const result = await storage.putIfAbsent(key, Buffer.from(`${JSON.stringify(location, null, 2)}\n`), { metadata: { 'pgward-location': LOCATION_FORMAT } });
  if (result === 'created') return { location, created: true };
  const existing = await getParsed(storage, key, (body) => parseLocation(body.toString('utf8'), `${storage.location}/${key}`));
  return { location: existing ?? location, created: false };
}

export async function listLocations(storage: Storage): Promise<ArchiveLocation[]> {
  const locations: ArchiveLocation[] = [];
  for await (const item of storage.list(LOCATIONS_PREFIX)) {
    const location = await getParsed(storage, item.key, (body) => parseLocation(body.toString('utf8'), `${storage.location}/${item.key}`));
    if (location) locations.push(location);
  }
  return locations;
}

export async function isRegistered(storage: Storage, stamp: RepoStamp, host: string, dataDirectory: string): Promise<boolean> {
  if (isStampOrigin(stamp, host, dataDirectory)) return true;
  return (await storage.head(locationKey(locationId(host, dataDirectory)))) !== undefined;
}

export interface AllowedLocation {
  host: string;
  dataDirectory: string;
  role: string;
  registeredAt?: string;
  registeredBy?: string;
}

/** Every location allowed to write: the stamp's creator (unless retired), then the registered ones. */
export async function allowedLocations(storage: Storage, stamp: RepoStamp): Promise<AllowedLocation[]> {
  const registered = await listLocations(storage);
  const origin = stamp.originRetiredAt || registered.some((l) => isStampOrigin(stamp, l.host, l.dataDirectory)) ? [] : [{ host: stamp.host, dataDirectory: stamp.dataDirectory, role: 'stamp creator' }];
  return [...origin, ...registered];
}

export async function notRegisteredError(storage: Storage, stamp: RepoStamp, host: string, dataDirectory: string, why?: string): Promise<RepoIdentityError> {
  const allowed = await allowedLocations(storage, stamp);
  const list = allowed.length ? allowed.map(describeLocation).join(', ') : 'none';
  return new RepoIdentityError(
    `${describeLocation({ host, dataDirectory })} is not a registered location of repository ${storage.location} (cluster ${stamp.clusterName}, system identifier ${stamp.systemIdentifier})${why ? `: ${why}` : ''}; registered: ${list}`,
    {
      hint: `a restored copy must not write into its source's repository: set archive_mode = off in the copy or give it its own repository; if this server replaces the source or joins it, register it: pgward location-add ${dataDirectory}`,
    },
  );
}

/**
 * The check every write goes through: the stamp (ensureStamp: same system identifier and major),
 * then the location. A location that is the stamp's creator costs nothing more; any other costs one
 * HEAD of its location object.
 */
export async function ensureWriter(storage: Storage, identity: StampIdentity, host = currentHost()): Promise<EnsureStampResult> {
  const result = await ensureStamp(storage, identity);
  if (result.created || (await isRegistered(storage, result.stamp, host, identity.dataDirectory))) return result;
  throw await notRegisteredError(storage, result.stamp, host, identity.dataDirectory);
}

/** Retires a location: its object goes, and when it is the stamp's creator the stamp says so. */
export async function removeLocation(storage: Storage, host: string, dataDirectory: string): Promise<{ removed: boolean }> {
  const stamp = await readStamp(storage);
  if (!stamp) throw new UsageError(`repository ${storage.location} has no stamp, so it has no locations`, { hint: 'check the repository setting (PGWARD_REPO / WALE_S3_PREFIX)' });
  const key = locationKey(locationId(host, dataDirectory));
  const hadObject = (await storage.head(key)) !== undefined;
  const origin = isStampOrigin(stamp, host, dataDirectory);
  if (!hadObject && !origin) return { removed: false };
  if (origin) await retireStampOrigin(storage, stamp);
  if (hadObject) await storage.deleteMany([key]);
  return { removed: true };
}

export type CheckedLocation = { status: 'registered' | 'already-registered'; role: LocationRole };

/**
 * What `check` does for the location it runs on. A standby is registered (it cannot write until it
 * is promoted, and a failover must then keep archiving with no manual step), as is the stamp's
 * creator. A server that can write (a primary, or a copy in archive recovery that will promote) at
 * an unregistered location is refused: running check on a test restore must not make it part of
 * production; registering it is location-add's explicit decision.
 */
export async function registerCheckedLocation(storage: Storage, stamp: RepoStamp, identity: LocationIdentity, standby: boolean): Promise<CheckedLocation> {
  const role: LocationRole = standby ? 'standby' : 'primary';
  const origin = isStampOrigin(stamp, identity.host, identity.dataDirectory);
  if (!origin && !standby && !(await isRegistered(storage, stamp, identity.host, identity.dataDirectory))) {
    throw await notRegisteredError(storage, stamp, identity.host, identity.dataDirectory, 'check registers standbys and the stamp creator only');
  }
  const { location, created } = await registerLocation(storage, identity, role, 'pgward check');
  return { status: created ? 'registered' : 'already-registered', role: location.role };
}

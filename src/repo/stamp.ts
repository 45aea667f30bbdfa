// The repository's identity stamp, pgward.json at the prefix root. It is created by the first write
// from a cluster and checked before every later write: WAL or a backup from a cluster with another
// system identifier or major version is refused instead of being mixed into this one's history.
import { hostname } from 'node:os';
import { IntegrityError, RepoIdentityError } from '../errors/errors.js';
import { getParsed, type Storage } from '../storage/storage.js';
import { STAMP_KEY } from './layout.js';

export const STAMP_FORMAT = 'pgward-repository/1';

/** A cluster's identity as the stamp records it. */
export function stampIdentityOf(cluster: { systemIdentifier: string; pgMajor: string; dataDirectory: string; name: string }): StampIdentity {
  return { systemIdentifier: cluster.systemIdentifier, pgMajor: cluster.pgMajor, dataDirectory: cluster.dataDirectory, clusterName: cluster.name };
}

export interface StampIdentity {
  systemIdentifier: string;
  pgMajor: string;
  dataDirectory: string;
  clusterName: string;
}

export interface RepoStamp {
  format: typeof STAMP_FORMAT;
  systemIdentifier: string;
  pgMajor: string;
  clusterName: string;
  dataDirectory: string;
  host: string;
  createdAt: string;
  /** identities this repository held before an upgrade step re-stamped it, oldest first */
  history: Array<{ systemIdentifier: string; pgMajor: string; until: string }>;
  /** set by location-remove: the creator's location no longer counts as registered */
  originRetiredAt?: string;
}

export function newStamp(identity: StampIdentity, now = new Date()): RepoStamp {
  return {
    format: STAMP_FORMAT,
    systemIdentifier: identity.systemIdentifier,
    pgMajor: identity.pgMajor,
    clusterName: identity.clusterName,
    dataDirectory: identity.dataDirectory,
    host: hostname(),
    createdAt: now.toISOString(),
    history: [],
  };
}

export function parseStamp(text: string, where: string): RepoStamp {
  let value: Partial<RepoStamp>;
  try {
    value = JSON.parse(text) as Partial<RepoStamp>;
  } catch {
    value = {};
  }
  if (value.format !== STAMP_FORMAT || typeof value.systemIdentifier !== 'string' || typeof value.pgMajor !== 'string') {
    throw new IntegrityError(`repository stamp ${where} is not a pgward stamp (${STAMP_FORMAT})`, {
      hint: 'the object was damaged or written by another tool; restore it from a copy or use another prefix',
    });
  }
  return { history: [], ...value } as RepoStamp;
}

/** Throws when the stamp belongs to another cluster; the message names both identities. */
export function checkStamp(stamp: RepoStamp, identity: StampIdentity, location: string): void {
  const differs: string[] = [];
  if (stamp.systemIdentifier !== identity.systemIdentifier) {
    differs.push(`system identifier ${stamp.systemIdentifier} (repository) vs ${identity.systemIdentifier} (cluster)`);
  }
  if (stamp.pgMajor !== identity.pgMajor) {
    differs.push(`PostgreSQL ${stamp.pgMajor} (repository) vs ${identity.pgMajor} (cluster)`);
  }
  if (differs.length === 0) return;
  throw new RepoIdentityError(
    `repository ${location} belongs to cluster ${stamp.clusterName} on ${stamp.host}, not to ${identity.clusterName} (${identity.dataDirectory}): ${differs.join('; ')}`,
    {
      hint:
        stamp.systemIdentifier === identity.systemIdentifier
          ? 'after pg_upgrade, give the upgraded cluster a new prefix (the old one keeps the old backups)'
          : 'give each cluster its own repository prefix (PGWARD_REPO / WALE_S3_PREFIX)',
    },
  );
}

export async function readStamp(storage: Storage): Promise<RepoStamp | undefined> {
  return getParsed(storage, STAMP_KEY, (body) => parseStamp(body.toString('utf8'), `${storage.location}/${STAMP_KEY}`));
}

export interface EnsureStampResult {
  stamp: RepoStamp;
  created: boolean;
}

/**
 * Checks the stamp before a write, creating it when the repository has none. After creating, it is
 * read back: when two clusters race to stamp an empty prefix on a store without conditional writes,
 * the loser sees the winner's stamp and is refused.
 */
export async function ensureStamp(storage: Storage, identity: StampIdentity): Promise<EnsureStampResult> {
  const existing = await readStamp(storage);
  if (existing) {
    checkStamp(existing, identity, storage.location);
    return { stamp: existing, created: false };
  }
  const stamp = newStamp(identity);
  const result = await storage.putIfAbsent(STAMP_KEY, Buffer.from(`${JSON.stringify(stamp, null, 2)}\n`), {
    metadata: { 'pgward-stamp': STAMP_FORMAT },
  });
  const stored = await readStamp(storage);
  if (!stored) throw new IntegrityError(`repository stamp ${storage.location}/${STAMP_KEY} vanished after it was written`);
  checkStamp(stored, identity, storage.location);
  return { stamp: stored, created: result === 'created' && stored.createdAt === stamp.createdAt };
}

/**
 * Records that the stamp's creator no longer counts as a registered location (location-remove of
 * the old primary). A read-modify-write of pgward.json, acceptable for this rare manual step; the
 * registrations themselves never rewrite the stamp.
 */
export async function retireStampOrigin(storage: Storage, stamp: RepoStamp, now = new Date()): Promise<void> {
  const retired: RepoStamp = { ...stamp, originRetiredAt: now.toISOString() };
  await storage.put(STAMP_KEY, Buffer.from(`${JSON.stringify(retired, null, 2)}\n`), { metadata: { 'pgward-stamp': STAMP_FORMAT } });
}

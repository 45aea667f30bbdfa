// `sudo pgward backup-push PGDATA` behaves as `pg_ctlcluster` does: a command started as root becomes
// the data directory's owner before it connects, so the role is the owner's name (not "root", which
// no cluster has), peer authentication works, the files read are read with the server's own rights,
// and a filesystem repository receives files the owner (and wal-push under archive_command, which
// runs as the owner) can read and write. Called after the identity and settings are read (root may
// be the only one able to read a config file) and before anything connects or writes.
import { statSync } from 'node:fs';
import { userInfo } from 'node:os';
import type { ClusterIdentity } from './identity.js';
import { ClusterUnusableError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';

// Node has process.initgroups on POSIX; @types/node does not declare it.
interface PosixProcess {
  setgid(id: number): void;
  setuid(id: number): void;
  initgroups(user: number | string, extraGroup: number): void;
}

export function runAsDataDirectoryOwner(identity: ClusterIdentity, log: Logger): void {
  if (process.getuid?.() !== 0) return;
  const owner = statSync(identity.dataDirectory);
  // PostgreSQL refuses to run as root, so a root-owned data directory has no server user to become.
  if (owner.uid === 0) return;
  const user = becomeUser(owner.uid, owner.gid, `the owner of ${identity.dataDirectory}`);
  // debug: the first informational line of a command stays the one naming the cluster.
  log.debug({ user: user.username, uid: user.uid }, `running as ${user.username}, the owner of ${identity.dataDirectory}`);
}

/** Switches this process to uid/gid (groups first), with the environment su would give it. Root only. */
export function becomeUser(uid: number, gid: number, who: string): ReturnType<typeof userInfo> {
  const posix = process as unknown as PosixProcess;
  try {
    // Groups first: after setuid, root's rights to change them are gone.
    posix.setgid(gid);
    posix.initgroups(uid, gid);
    posix.setuid(uid);
  } catch (err) {
    throw new ClusterUnusableError(`cannot switch to uid ${uid}, ${who}: ${(err as Error).message}`, {
      hint: 'the owner must be a user in /etc/passwd; run pgward as that user (sudo -u postgres pgward ...)',
      cause: err,
    });
  }
  const user = userInfo();
  // As su does: libpq-style lookups (~/.pgpass) and the default role follow the new user.
  process.env.HOME = user.homedir;
  process.env.USER = user.username;
  process.env.LOGNAME = user.username;
  return user;
}

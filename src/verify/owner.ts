// Who runs a verification: started as root, pgward becomes the owner (--owner, default postgres) for
// the whole run, as pg_ctlcluster would, so the restored files, the server, its tools and the record
// written into a filesystem repository all belong to that user and nothing runs as root; otherwise
// the user running pgward. The role connected as is that user's name (the copy's pg_hba.conf trusts
// the private socket).
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { UsageError } from '../errors/errors.js';
import type { Owner } from '../backup/extract.js';
import { becomeUser } from '../cluster/run-as-owner.js';

export interface ServerUser {
  /** the uid/gid the restored files are handed to, for a caller that stays root (the command does not) */
  owner?: Owner;
  role: string;
}

export function serverUser(name: string | undefined): ServerUser {
  if (process.getuid?.() !== 0) {
    if (name && name !== userInfo().username) throw new UsageError(`--owner ${name} needs root`, { hint: `run backup-verify as root, or as ${name} without --owner` });
    return { role: userInfo().username };
  }
  const wanted = name ?? 'postgres';
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${wanted}:`));
  if (!line) throw new UsageError(`OS user ${wanted}${name ? ' (--owner)' : ''} does not exist`, { hint: 'PostgreSQL refuses to run as root: name the user the server should run as with --owner' });
  const fields = line.split(':');
  if (Number(fields[2]) === 0) throw new UsageError('--owner root: PostgreSQL refuses to run as root', { hint: 'name an unprivileged user, e.g. --owner postgres' });
  becomeUser(Number(fields[2]), Number(fields[3]), `the owner named by --owner (${wanted})`);
  return { role: wanted };
}

// ClusterIdentity: everything pgward knows about a cluster, read from its data directory alone:
// PG_VERSION, global/pg_control and postmaster.pid. No environment variable and no default port
// takes part, which is what makes the wal-e mistake (a "9.6" backup taken from the 9.4 server on
// 5432) impossible.
import { realpath } from 'node:fs/promises';
import { ClusterUnusableError } from '../errors/errors.js';
import { clusterName } from './cluster-name.js';
import { readPgControl, readPgVersion, readPostmasterPid, resolveDataDirectory } from './data-directory.js';
import type { PgControl } from './pg-control.js';
import { checkPostmasterProcess } from './postmaster-process.js';
import type { PostmasterPid, PostmasterStatus } from './postmaster-pid.js';

export type RunState = 'running' | 'stopped';

export interface ClusterIdentity {
  dataDirectory: string;
  name: string;
  pgMajor: string;
  systemIdentifier: string;
  control: PgControl;
  state: RunState;
  /** present when the cluster is running: a live postmaster verified to be this cluster's */
  postmaster?: PostmasterPid & { port: number };
}

export interface IdentityOptions {
  /** fail unless a postmaster is running and ready (or a standby) */
  requireRunning?: boolean;
}

const NOT_READY: Partial<Record<PostmasterStatus, string>> = {
  starting: 'is starting up',
  stopping: 'is shutting down',
};

function startHint(name: string, pgMajor: string): string {
  const debian = /^(\d+(?:\.\d)?)\/(.+)$/.exec(name);
  return debian ? `start it: pg_ctlcluster ${debian[1]} ${debian[2]} start` : `start it: pg_ctl -D ${name} start (PostgreSQL ${pgMajor})`;
}

async function samePath(a: string, b: string): Promise<boolean> {
  return a === b || (await realpath(a).catch(() => a)) === b;
}

async function liveRunningPostmaster(dataDirectory: string, name: string, pgMajor: string): Promise<(PostmasterPid & { port: number }) | undefined> {
  const pidFile = await readPostmasterPid(dataDirectory);
  if (!pidFile) return undefined;
  const where = `${dataDirectory}/postmaster.pid`;
  const check = await checkPostmasterProcess(pidFile, dataDirectory);
  if (check.state !== 'alive') {
    const why = check.state === 'dead' ? `pid ${pidFile.pid} is not running` : check.description;
    throw new ClusterUnusableError(`stale ${where}: ${why}`, {
      hint: `the server is not running (it crashed or was killed); ${startHint(name, pgMajor)}, which replaces the stale file`,
    });
  }
  if (!(await samePath(pidFile.dataDirectory, dataDirectory))) {
    throw new ClusterUnusableError(`${where} names data directory ${pidFile.dataDirectory}, not ${dataDirectory}`, {
      hint: 'the file was copied from another cluster; stop and restart this cluster so PostgreSQL rewrites it',
    });
  }
  if (pidFile.singleUser) {
    throw new ClusterUnusableError(`${name} is held by a single-user backend (pid ${pidFile.pid})`, {
      hint: 'wait for the single-user session to end and start the server normally',
    });
  }
  const notReady = NOT_READY[pidFile.status];
  if (notReady || pidFile.port === undefined) {
    throw new ClusterUnusableError(`${name} ${notReady ?? 'has not finished starting (no port in postmaster.pid yet)'}`, {
      hint: 'retry once the server is ready',
    });
  }
  return { ...pidFile, port: pidFile.port };
}

export interface ClusterFiles {
  dataDirectory: string;
  name: string;
  pgMajor: string;
  systemIdentifier: string;
  control: PgControl;
}

/**
 * The identity from PG_VERSION and pg_control only, without looking at the postmaster: what
 * wal-push and wal-fetch need. PostgreSQL keeps archiving while it shuts down (postmaster.pid says
 * "stopping") and restores WAL before it accepts connections, so they must not depend on its state.
 */
export async function readClusterFiles(given: string): Promise<ClusterFiles> {
  const dataDirectory = await resolveDataDirectory(given);
  const pgMajor = await readPgVersion(dataDirectory);
  const control = await readPgControl(dataDirectory);
  return { dataDirectory, name: clusterName(dataDirectory, pgMajor), pgMajor, systemIdentifier: control.systemIdentifier, control };
}

export async function readClusterIdentity(given: string, options: IdentityOptions = {}): Promise<ClusterIdentity> {
  const { dataDirectory, pgMajor, control, name } = await readClusterFiles(given);
  const postmaster = await liveRunningPostmaster(dataDirectory, name, pgMajor);
  if (!postmaster && options.requireRunning) {
    throw new ClusterUnusableError(`cluster ${name} is not running (no postmaster.pid; pg_control says ${control.state})`, {
      hint: startHint(name, pgMajor),
    });
  }
  const identity: ClusterIdentity = {
    dataDirectory,
    name,
    pgMajor,
    systemIdentifier: control.systemIdentifier,
    control,
    state: postmaster ? 'running' : 'stopped',
  };
  if (postmaster) identity.postmaster = postmaster;
  return identity;
}

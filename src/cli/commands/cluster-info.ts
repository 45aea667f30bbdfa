// pgward cluster-info PGDATA: the cluster's identity as read from its data directory and, when it is
// running, as confirmed by the server itself.
import { readClusterIdentity, type ClusterIdentity } from '../../cluster/identity.js';
import { runAsDataDirectoryOwner } from '../../cluster/run-as-owner.js';
import { openVerifiedSession } from '../../postgres/session.js';
import type { ServerFacts } from '../../postgres/verify.js';
import { connectionOverrides, type CommandContext } from '../context.js';
import { printFields, printJson } from '../output.js';
import { pgdataFrom } from './pgdata-arg.js';

export interface ClusterInfo {
  name: string;
  dataDirectory: string;
  pgMajor: string;
  status: ClusterIdentity['state'];
  pid?: number;
  port?: number;
  socketDirectory?: string;
  listenAddress?: string;
  postmasterStatus?: string;
  startedAt?: string;
  systemIdentifier: string;
  controlVersion: number;
  catalogVersion: number;
  clusterState: string;
  checkpointLsn: string;
  timeline: number;
  verified: boolean;
  serverVersion?: string;
  serverVersionNum?: number;
  inRecovery?: boolean;
  connectedTo?: { host: string; port: number };
}

function toInfo(identity: ClusterIdentity, server?: ServerFacts, target?: { host: string; port: number }): ClusterInfo {
  const pm = identity.postmaster;
  return {
    name: identity.name,
    dataDirectory: identity.dataDirectory,
    pgMajor: identity.pgMajor,
    status: identity.state,
    pid: pm?.pid,
    port: pm?.port,
    socketDirectory: pm?.socketDirectory,
    listenAddress: pm?.listenAddress,
    postmasterStatus: pm?.status,
    startedAt: pm?.startTime?.toISOString(),
    systemIdentifier: identity.systemIdentifier,
    controlVersion: identity.control.controlVersion,
    catalogVersion: identity.control.catalogVersion,
    clusterState: identity.control.state,
    checkpointLsn: identity.control.checkpointLsn,
    timeline: identity.control.timeline,
    verified: server !== undefined,
    serverVersion: server?.serverVersion,
    serverVersionNum: server?.serverVersionNum,
    inRecovery: server?.inRecovery,
    connectedTo: target ? { host: target.host, port: target.port } : undefined,
  };
}

export async function clusterInfo(ctx: CommandContext, pgdata: string): Promise<ClusterInfo> {
  const identity = await readClusterIdentity(pgdata);
  if (identity.state !== 'running') return toInfo(identity);
  runAsDataDirectoryOwner(identity, ctx.log);
  const session = await openVerifiedSession(identity, connectionOverrides(ctx.settings));
  await session.close();
  ctx.log.debug({ cluster: identity.name, systemId: identity.systemIdentifier, port: session.target.port }, 'server verified');
  return toInfo(identity, session.server, session.target);
}

export const clusterInfoCommand = {
  async handler(ctx: CommandContext, args: { pgdata?: string }): Promise<void> {
    const info = await clusterInfo(ctx, pgdataFrom(args.pgdata, ctx.settings));
    if (ctx.json) return printJson(info);
    printFields([
      ['cluster', info.name],
      ['data directory', info.dataDirectory],
      ['PostgreSQL', info.serverVersion ? `${info.pgMajor} (server ${info.serverVersion})` : info.pgMajor],
      ['status', info.status === 'running' ? `running (pid ${info.pid}, ${info.postmasterStatus})` : 'stopped'],
      ['port', info.port],
      ['socket directory', info.socketDirectory],
      ['listen address', info.listenAddress],
      ['system identifier', info.systemIdentifier],
      ['pg_control', `version ${info.controlVersion}, catalog ${info.catalogVersion}, ${info.clusterState}`],
      ['last checkpoint', `${info.checkpointLsn} on timeline ${info.timeline}`],
      ['in recovery', info.inRecovery === undefined ? undefined : info.inRecovery ? 'yes' : 'no'],
      ['verified', info.verified ? `yes: data_directory, version and system identifier match (${info.connectedTo?.host} port ${info.connectedTo?.port})` : 'no (server not running)'],
    ]);
  },
};

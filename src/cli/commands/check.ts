// pgward check PGDATA: everything a later backup or archive needs, proven without copying data:
// the cluster's identity, the server verified against it, the repository reachable and stamped for
// this cluster (the stamp is created here when the repository is new).
import { readClusterIdentity } from '../../cluster/identity.js';
import { repositoryConfig } from '../../config/repository.js';
import { openVerifiedSession } from '../../postgres/session.js';
import { openStorage } from '../../repo/open.js';
import { currentHost, registerCheckedLocation } from '../../repo/locations.js';
import { ensureStamp } from '../../repo/stamp.js';
import { recoveryMode } from '../../wal/recovery-mode.js';
import { connectionOverrides, type CommandContext } from '../context.js';
import { printFields, printJson } from '../output.js';
import { pgdataFrom } from './pgdata-arg.js';

export const checkCommand = {
  async handler(ctx: CommandContext, args: { pgdata?: string }): Promise<void> {
    // The repository settings are validated before anything else, so a typo fails fast.
    const config = repositoryConfig(ctx.settings);
    const identity = await readClusterIdentity(pgdataFrom(args.pgdata, ctx.settings), { requireRunning: true });
    const log = ctx.log.child({ cluster: identity.name, systemId: identity.systemIdentifier });
    log.info({ dataDirectory: identity.dataDirectory, pgMajor: identity.pgMajor, port: identity.postmaster?.port }, `checking cluster ${identity.name}`);
    const session = await openVerifiedSession(identity, connectionOverrides(ctx.settings));
    await session.close();
    log.info({ serverVersion: session.server.serverVersion, host: session.target.host, port: session.target.port }, 'server verified');
    const storage = await openStorage(config);
    try {
      const { stamp, created } = await ensureStamp(storage, {
        systemIdentifier: identity.systemIdentifier,
        pgMajor: identity.pgMajor,
        dataDirectory: identity.dataDirectory,
        clusterName: identity.name,
      });
      log.info({ repository: config.url, created }, created ? 'repository stamped for this cluster' : 'repository stamp matches');
      const standby = session.server.inRecovery && (await recoveryMode(identity.dataDirectory)) === 'standby';
      const location = await registerCheckedLocation(storage, stamp, { ...identity, host: currentHost() }, standby);
      log.info({ host: currentHost(), ...location }, `location ${location.status === 'registered' ? 'registered' : 'already registered'} as ${location.role}`);
      const result = {
        cluster: identity.name,
        dataDirectory: identity.dataDirectory,
        systemIdentifier: identity.systemIdentifier,
        pgMajor: identity.pgMajor,
        serverVersion: session.server.serverVersion,
        port: session.target.port,
        repository: config.url,
        stampCreated: created,
        stampedAt: stamp.createdAt,
        location: { host: currentHost(), dataDirectory: identity.dataDirectory, ...location },
      };
      if (ctx.json) return printJson(result);
      printFields([
        ['cluster', `${result.cluster} (PostgreSQL ${result.serverVersion}, port ${result.port})`],
        ['system identifier', result.systemIdentifier],
        ['repository', `${result.repository} (${created ? 'stamped now' : `stamped ${result.stampedAt}`})`],
        ['location', `${currentHost()}:${identity.dataDirectory} (${location.role}, ${location.status.replace('-', ' ')})`],
        ['result', 'ok'],
      ]);
    } finally {
      storage.close();
    }
  },
};

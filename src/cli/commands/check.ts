// pgward check PGDATA: everything a later backup or archive needs, proven without copying data:
// the cluster's identity, the server verified against it, the repository reachable and stamped for
// this cluster (the stamp is created here when the repository is new), and the archive chain: a
// segment switched now must reach the repository (backup/archive-check.ts). Run as root, it becomes
// the data directory's owner before connecting.
import { checkArchiving } from '../../backup/archive-check.js';
import { readClusterIdentity } from '../../cluster/identity.js';
import { runAsDataDirectoryOwner } from '../../cluster/run-as-owner.js';
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
    const timeoutSeconds = ctx.settings.int('archiveCheckTimeout', { min: 1, max: 86400 })?.value ?? 60;
    const interval = ctx.settings.int('progressInterval', { min: 1, max: 3600 })?.value ?? 5;
    const identity = await readClusterIdentity(pgdataFrom(args.pgdata, ctx.settings), { requireRunning: true });
    const log = ctx.log.child({ cluster: identity.name, systemId: identity.systemIdentifier });
    log.info({ dataDirectory: identity.dataDirectory, pgMajor: identity.pgMajor, port: identity.postmaster?.port }, `checking cluster ${identity.name}`);
    runAsDataDirectoryOwner(identity, log);
    const session = await openVerifiedSession(identity, connectionOverrides(ctx.settings));
    try {
      log.info({ serverVersion: session.server.serverVersion, host: session.target.host, port: session.target.port, role: session.target.user }, `server verified (role ${session.target.user})`);
      const storage = await openStorage(config);
      try {
        const { stamp, created } = await ensureStamp(storage, {
          systemIdentifier: identity.systemIdentifier,
          pgMajor: identity.pgMajor,
          dataDirectory: identity.dataDirectory,
          clusterName: identity.name,
        });
        log.info({ repository: config.url, created }, created ? 'repository stamped for this cluster' : 'repository stamp matches');
        // Before any segment is switched: a copy that is not a registered location must not prove
        // (or start) archiving into its source's repository.
        const standby = session.server.inRecovery && (await recoveryMode(identity.dataDirectory)) === 'standby';
        const location = await registerCheckedLocation(storage, stamp, { ...identity, host: currentHost() }, standby);
        log.info({ host: currentHost(), ...location }, `location ${location.status === 'registered' ? 'registered' : 'already registered'} as ${location.role}`);
        const archive = await checkArchiving({ session, storage, log, timeoutSeconds, progressIntervalMs: interval * 1000 });
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
          archive,
        };
        if (ctx.json) return printJson(result);
        printFields([
          ['cluster', `${result.cluster} (PostgreSQL ${result.serverVersion}, port ${result.port}${archive.standby ? ', standby' : ''})`],
          ['system identifier', result.systemIdentifier],
          ['repository', `${result.repository} (${created ? 'stamped now' : `stamped ${result.stampedAt}`})`],
          ['location', `${currentHost()}:${identity.dataDirectory} (${location.role}, ${location.status.replace('-', ' ')})`],
          ['archive_mode', archive.archiveMode],
          ['archive_command', `${archive.archiveLibrary ? `(archive_library ${archive.archiveLibrary})` : archive.archiveCommand} (${archive.throughPgward ? 'runs pgward' : 'does not run pgward'})`],
          [
            'archiving',
            archive.segment
              ? `ok: switched segment ${archive.segment} reached the repository in ${archive.seconds} s`
              : 'not proven here: a standby cannot switch a segment (its primary archives); run check on the primary',
          ],
          ['result', 'ok'],
        ]);
      } finally {
        storage.close();
      }
    } finally {
      await session.close().catch(() => undefined);
    }
  },
};

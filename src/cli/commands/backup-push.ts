// pgward backup-push PGDATA: the cluster is identified from PGDATA and verified before anything
// starts; the first log line names it. SIGTERM/SIGINT stop the backup cleanly (ended on the server,
// no sentinel) with exit 11. Run as root, it becomes the data directory's owner before connecting.
// --verify runs backup-verify's files level on the new backup (checksums and WAL, no server): exit 12
// when it fails, the backup staying listed with its FAILED record.
import { pushBackup } from '../../backup/backup-push.js';
import { readClusterIdentity } from '../../cluster/identity.js';
import { runAsDataDirectoryOwner } from '../../cluster/run-as-owner.js';
import { parseWriteMethod } from '../../codec/compression.js';
import { repositoryConfig } from '../../config/repository.js';
import { openVerifiedSession } from '../../postgres/session.js';
import { ensureWriter } from '../../repo/locations.js';
import { stampIdentityOf } from '../../repo/stamp.js';
import { PGWARD_VERSION } from '../../version.js';
import { connectionOverrides, type CommandContext } from '../context.js';
import { printJson } from '../output.js';
import { withStorage } from '../repository.js';
import { pgdataFrom } from './pgdata-arg.js';
import { verifyBackup } from '../../verify/backup-verify.js';
import { DEFAULT_VERIFY_DIR } from '../../verify/scratch.js';

export const backupPushCommand = {
  async handler(ctx: CommandContext, args: { pgdata?: string; 'fast-checkpoint'?: boolean; verify?: boolean }): Promise<void> {
    const commandStartedAt = new Date();
    const { settings } = ctx;
    // The repository settings are validated before anything else, so a typo fails fast.
    repositoryConfig(settings);
    const compressionSetting = settings.get('compression');
    const compression = compressionSetting ? parseWriteMethod(compressionSetting.value, compressionSetting.source) : 'lz4';
    const partitionMb = settings.int('partitionSize', { min: 1, max: 1024 * 1024 })?.value ?? 1024;
    const walTimeout = settings.int('backupWalTimeout', { min: 1, max: 86400 })?.value ?? 120;
    const interval = settings.int('progressInterval', { min: 1, max: 3600 })?.value ?? 5;

    const identity = await readClusterIdentity(pgdataFrom(args.pgdata, settings), { requireRunning: true });
    const log = ctx.log.child({ cluster: identity.name, systemId: identity.systemIdentifier });
    runAsDataDirectoryOwner(identity, log);
    const session = await openVerifiedSession(identity, connectionOverrides(settings));
    let stop = false;
    const aborted = new AbortController();
    const onSignal = (signal: string): void => {
      if (!stop) log.warn({ signal }, `${signal} received: stopping the backup`);
      stop = true;
      aborted.abort();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    try {
      log.info(
        { dataDirectory: identity.dataDirectory, pgMajor: identity.pgMajor, serverVersion: session.server.serverVersion, port: session.target.port, host: session.target.host, role: session.target.user },
        `backing up cluster ${identity.name}: PostgreSQL ${session.server.serverVersion}, port ${session.target.port} (postmaster.pid), data directory ${identity.dataDirectory}, system identifier ${identity.systemIdentifier}`,
      );
      const sentinel = await withStorage(ctx, async (storage) => {
        await ensureWriter(storage, stampIdentityOf(identity));
        return pushBackup({
          identity,
          session,
          storage,
          log,
          compression,
          fastCheckpoint: Boolean(args['fast-checkpoint']),
          partitionSize: partitionMb * 1024 * 1024,
          walTimeoutSeconds: walTimeout,
          progressIntervalMs: interval * 1000,
          stopRequested: () => stop,
          pgwardVersion: PGWARD_VERSION,
          commandStartedAt,
        }).then(async (sentinel) => {
          if (!args.verify) return sentinel;
          await verifyBackup({
            storage,
            backup: sentinel.name,
            level: 'files',
            toEnd: false,
            checkSql: [],
            amcheck: false,
            keep: false,
            timeoutSeconds: 86400,
            verifyDir: DEFAULT_VERIFY_DIR,
            env: process.env,
            user: { role: '' },
            restoreCommand: '',
            signal: aborted.signal,
            pgwardVersion: PGWARD_VERSION,
            log,
          });
          return sentinel;
        });
      });
      if (ctx.json) printJson(sentinel);
      else process.stdout.write(`${sentinel.name}\n`);
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await session.close().catch(() => undefined);
    }
  },
};

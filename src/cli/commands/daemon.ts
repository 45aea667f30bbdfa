// pgward daemon [PGDATA]: runs until SIGTERM (or SIGINT); SIGHUP reloads the settings.
import { parseWriteMethod } from '../../codec/compression.js';
import { repositoryConfig } from '../../config/repository.js';
import { Settings } from '../../config/settings.js';
import { Daemon } from '../../daemon/daemon.js';
import { defaultSocketPath } from '../../daemon/socket-path.js';
import { resolveDataDirectory } from '../../cluster/data-directory.js';
import { openStorage } from '../../repo/open.js';
import type { CommandContext } from '../context.js';
import { pgdataFrom } from './pgdata-arg.js';

export const daemonCommand = {
  async handler(ctx: CommandContext, args: { pgdata?: string; concurrency?: number; envdir?: string; config?: string; [k: string]: unknown }): Promise<void> {
    const dataDirectory = await resolveDataDirectory(pgdataFrom(args.pgdata, ctx.settings));
    let settings = ctx.settings;
    const compressionOf = (s: Settings) => {
      const c = s.get('compression');
      return c ? parseWriteMethod(c.value, c.source) : 'lz4';
    };
    const daemon = new Daemon({
      dataDirectory,
      socketPath: settings.get('daemonSocket')?.value ?? defaultSocketPath(dataDirectory, {}),
      concurrency: Math.max(1, Number(args.concurrency ?? 4)),
      compression: compressionOf(settings),
      openStorage: () => openStorage(repositoryConfig(settings)),
      log: ctx.log.child({ cluster: dataDirectory }),
      stampIntervalMs: (settings.int('daemonRecheckInterval', { min: 1, max: 86400 })?.value ?? 60) * 1000,
    });
    await daemon.start();
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGHUP', reload);
        daemon.stop().then(resolve, resolve);
      };
      const reload = (): void => {
        settings = new Settings({ flags: {}, env: process.env, envdir: args.envdir ?? process.env.PGWARD_ENVDIR, configFile: args.config ?? process.env.PGWARD_CONFIG });
        daemon.reload().catch((err: Error) => ctx.log.error({ err: { message: err.message } }, 'reload failed; keeping the previous settings'));
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      process.on('SIGHUP', reload);
    });
  },
};

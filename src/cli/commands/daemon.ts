// pgward daemon [PGDATA]: runs until SIGTERM (or SIGINT); SIGHUP re-reads the settings, with the
// command-line flags still first, so a changed config file (/etc/pgward/<instance>.conf under the
// systemd unit, which passes it with --config) takes effect without a restart.
import { resolve } from 'node:path';
import { parseWriteMethod } from '../../codec/compression.js';
import { repositoryConfig } from '../../config/repository.js';
import { Settings } from '../../config/settings.js';
import { Daemon, type DaemonSettings } from '../../daemon/daemon.js';
import { defaultSocketPath } from '../../daemon/socket-path.js';
import { resolveDataDirectory } from '../../cluster/data-directory.js';
import { asPgwardError } from '../../errors/errors.js';
import { DaemonMetrics } from '../../metrics/daemon-metrics.js';
import { closeMetrics, parseListenAddress, serveMetrics } from '../../metrics/metrics-server.js';
import { openStorage } from '../../repo/open.js';
import { flagValues, type CommandContext, type GlobalArgs } from '../context.js';
import { pgdataFrom } from './pgdata-arg.js';

function daemonSettings(settings: Settings): DaemonSettings {
  const compression = settings.get('compression');
  // Resolved now, so a bad value fails the reload instead of the next upload.
  const repository = repositoryConfig(settings);
  return {
    compression: compression ? parseWriteMethod(compression.value, compression.source) : 'lz4',
    openStorage: () => openStorage(repository),
  };
}

/** The settings as the command line, the environment and the files say now. */
function rereadSettings(args: GlobalArgs): Settings {
  return new Settings({
    flags: flagValues(args),
    env: process.env,
    envdir: args.envdir ?? process.env.PGWARD_ENVDIR,
    configFile: args.config ?? process.env.PGWARD_CONFIG,
  });
}

export const daemonCommand = {
  async handler(ctx: CommandContext, args: GlobalArgs & { pgdata?: string; concurrency?: number }): Promise<void> {
    const dataDirectory = await resolveDataDirectory(pgdataFrom(args.pgdata, ctx.settings));
    // A relative --socket is taken from where the daemon was started, once: clients find it by the
    // same absolute path whatever their working directory.
    const socketPath = resolve(ctx.settings.get('daemonSocket')?.value ?? defaultSocketPath(dataDirectory, {}));
    const listen = ctx.settings.get('metricsListen');
    const metricsAddress = listen ? parseListenAddress(listen.value, listen.source) : undefined;
    const metrics = metricsAddress ? new DaemonMetrics() : undefined;
    let first = true;
    const daemon = new Daemon({
      dataDirectory,
      socketPath,
      concurrency: Math.max(1, Number(args.concurrency ?? 4)),
      configure: () => {
        const settings = first ? ctx.settings : rereadSettings(args);
        if (!first && settings.get('metricsListen')?.value !== listen?.value) {
          ctx.log.warn({ metricsListen: settings.get('metricsListen')?.value ?? null }, 'PGWARD_METRICS_LISTEN changed: the metrics endpoint moves at the next restart of the daemon');
        }
        first = false;
        return daemonSettings(settings);
      },
      log: ctx.log.child({ cluster: dataDirectory }),
      stampIntervalMs: (ctx.settings.int('daemonRecheckInterval', { min: 1, max: 86400 })?.value ?? 60) * 1000,
      ...(metrics ? { metrics } : {}),
    });
    await daemon.start();
    let metricsServer: Awaited<ReturnType<typeof serveMetrics>> | undefined;
    if (metricsAddress && metrics) {
      try {
        metricsServer = await serveMetrics(metricsAddress, metrics.registry, ctx.log);
      } catch (err) {
        await daemon.stop();
        throw err;
      }
    }
    await new Promise<void>((done) => {
      const stop = (): void => {
        process.off('SIGHUP', reload);
        closeMetrics(metricsServer);
        daemon.stop().then(done, done);
      };
      const reload = (): void => {
        ctx.log.info('SIGHUP: re-reading the settings');
        daemon.reload().catch((err: unknown) => {
          const e = asPgwardError(err);
          ctx.log.error({ err: { code: e.code, message: e.message, hint: e.hint } }, `reload failed (${e.message}); the previous settings stay in force`);
        });
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      process.on('SIGHUP', reload);
    });
  },
};

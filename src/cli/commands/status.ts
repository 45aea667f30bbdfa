// pgward status [PGDATA...]: is every cluster on this host protected? One row per cluster with its
// verdict and reasons; --json every field; --prometheus FILE the same as metrics for node_exporter's
// textfile collector; exit 0 all OK, 13 a WARNING, 14 a CRITICAL (--nagios: 0/1/2 and one line).
// Read-only: it never stamps, writes into a repository or starts anything.
import { resolve } from 'node:path';
import { Settings } from '../../config/settings.js';
import { ExitWith, UsageError } from '../../errors/errors.js';
import { writeStatusMetrics } from '../../metrics/status-metrics.js';
import { hostStatus } from '../../status/host-status.js';
import { nagiosLine, reasonLines, STATUS_HEADER, statusRow, verdictError } from '../../status/render.js';
import { DEFAULT_THRESHOLDS } from '../../status/verdict.js';
import { connectionOverrides, type CommandContext } from '../context.js';
import { printJson, printLines, printTable } from '../output.js';

interface StatusArgs {
  pgdata?: string[];
  prometheus?: string;
  nagios?: boolean;
}

export const statusCommand = {
  async handler(ctx: CommandContext, args: StatusArgs): Promise<void> {
    try {
      await report(ctx, args);
    } catch (err) {
      // A monitoring agent reads 3 as UNKNOWN: status could not run at all.
      if (!args.nagios || err instanceof ExitWith) throw err;
      printLines([`PGWARD UNKNOWN - ${(err as Error).message}`]);
      throw new ExitWith(3);
    }
  },
};

async function report(ctx: CommandContext, args: StatusArgs): Promise<void> {
  const number = (key: 'statusBackupMaxAge' | 'statusVerifyMaxAge' | 'statusReadyMax' | 'statusTimeout', fallback: number): number => {
    const found = ctx.settings.get(key);
    if (!found) return fallback;
    const value = Number(found.value);
    if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${found.value} (${found.source}) is not a positive number`, { hint: `fix or remove it in ${found.source}` });
    return value;
  };
  const timeoutSeconds = number('statusTimeout', 5);
  const { user, database, password } = connectionOverrides(ctx.settings);
  const now = new Date();
  const clusters = await hostStatus((args.pgdata ?? []).map((p) => resolve(p)), {
    timeoutMs: timeoutSeconds * 1000,
    now,
    thresholds: {
      backupMaxAgeHours: number('statusBackupMaxAge', DEFAULT_THRESHOLDS.backupMaxAgeHours),
      verifyMaxAgeHours: number('statusVerifyMaxAge', DEFAULT_THRESHOLDS.verifyMaxAgeHours),
      readyMax: number('statusReadyMax', DEFAULT_THRESHOLDS.readyMax),
    },
    configDirectory: '/etc/pgward',
    // The cluster's own settings, as its archive_command reads them; storage requests bounded by the
    // probe's deadline and not retried (a probe reports, it does not persist).
    settingsFor: (archiving) =>
      new Settings({
        flags: {},
        env: { PGWARD_STORAGE_TIMEOUT: String(Math.ceil(timeoutSeconds)), PGWARD_STORAGE_RETRIES: '0' },
        ...(archiving.envdir ? { envdir: archiving.envdir } : {}),
        ...(archiving.configFile ? { configFile: archiving.configFile } : {}),
      }),
    sessionOptions: () => ({ ...(user ? { user } : {}), ...(database ? { database } : {}), ...(password ? { password } : {}) }),
  }, ctx.log);
  if (args.prometheus) {
    const file = resolve(args.prometheus);
    await writeStatusMetrics(file, clusters).catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot write the metrics file ${file}: ${err.code ?? err.message}`, { hint: 'give --prometheus a file in a folder this user may write (node_exporter --collector.textfile.directory)', cause: err });
    });
    ctx.log.info({ file, clusters: clusters.length }, `metrics for ${clusters.length} cluster(s) written to ${file}`);
  }
  if (args.nagios) {
    const { line, status } = nagiosLine(clusters);
    printLines([line]);
    throw new ExitWith(status);
  }
  if (ctx.json) printJson({ time: now.toISOString(), clusters });
  else {
    printTable(STATUS_HEADER, clusters.map((c) => statusRow(c, now)));
    const reasons = reasonLines(clusters);
    if (reasons.length) printLines(['', ...reasons]);
  }
  const failure = verdictError(clusters);
  if (failure) throw failure;
}

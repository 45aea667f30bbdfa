// The command line. This is the only place that decides the process exit status: handlers throw
// PgwardError, which is rendered as one line plus a HINT and mapped to its code's exit status.
import type { Argv, Options } from 'yargs';
import { asPgwardError, ExitWith, UsageError } from '../errors/errors.js';
import { PGWARD_VERSION } from '../version.js';
import type { CommandContext, GlobalArgs } from './context.js';
import { parseFastPath } from './fast-path.js';
import { writeError } from './render-error.js';

type Handler = (ctx: CommandContext, args: Record<string, unknown>) => Promise<void>;

interface CommandDefinition {
  command: string;
  describe: string;
  /** Loaded only when the command runs: each command pays for its own imports (pg, the AWS SDK). */
  load(): Promise<Handler>;
  /** run by PostgreSQL once per WAL file: warnings and errors only, unless a log level is set */
  quiet?: boolean;
  /** options of this command only (the global ones are in globalOptions) */
  options?: Record<string, Options>;
}

const COMMANDS: CommandDefinition[] = [
  {
    command: 'cluster-info [pgdata]',
    describe: 'show the identity of the cluster in a data directory, verified against its server',
    load: async () => (await import('./commands/cluster-info.js')).clusterInfoCommand.handler,
  },
  {
    command: 'clusters',
    describe: 'list every PostgreSQL cluster on this host (Debian configs and running servers)',
    load: async () => (await import('./commands/clusters.js')).clustersCommand.handler,
  },
  {
    command: 'status [pgdata..]',
    describe: 'is every cluster on this host (or each PGDATA given) protected? verdict OK/WARNING/CRITICAL with reasons; exit 0, 13 or 14',
    load: async () => (await import('./commands/status.js')).statusCommand.handler,
    options: {
      'prometheus': { type: 'string', describe: "also write the status as Prometheus metrics to this file, atomically (node_exporter's textfile collector)" },
      'nagios': { type: 'boolean', describe: 'one Nagios plugin line with perfdata; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 when status cannot run' },
    },
  },
  {
    command: 'check [pgdata]',
    describe: 'verify the cluster and its repository (stamps a new repository; registers a standby as a location that may archive once promoted)',
    load: async () => (await import('./commands/check.js')).checkCommand.handler,
  },
  {
    command: 'wal-push <path>',
    describe: "archive one WAL file (archive_command = 'pgward wal-push %p')",
    load: async () => (await import('./commands/wal-push.js')).walPushCommand.handler,
    quiet: true,
  },
  {
    command: 'wal-fetch <segment> <destination>',
    describe: "restore one WAL file (restore_command = 'pgward wal-fetch %f %p'); exit 1 if not archived",
    load: async () => (await import('./commands/wal-fetch.js')).walFetchCommand.handler,
    quiet: true,
  },
  {
    command: 'wal-list',
    describe: 'archived WAL per timeline: first and last segment, count, gaps',
    load: async () => (await import('./commands/wal-list.js')).walListCommand.handler,
  },
  {
    command: 'wal-verify',
    describe: 'check that every segment recovery would replay is archived (exit 8 if not)',
    load: async () => (await import('./commands/wal-verify.js')).walVerifyCommand.handler,
  },
  {
    command: 'backup-push [pgdata]',
    describe: 'take a base backup of the cluster in PGDATA, streamed to the repository',
    load: async () => (await import('./commands/backup-push.js')).backupPushCommand.handler,
    options: {
      'fast-checkpoint': { type: 'boolean', describe: 'ask for an immediate checkpoint instead of a spread one' },
      'verify': { type: 'boolean', describe: 'then verify the new backup at the files level (checksums and WAL; exit 12 if it fails)' },
    },
  },
  {
    command: 'backup-fetch <target> <backup>',
    describe: 'restore a backup (a name or LATEST) into an empty or absent directory, set up to recover',
    load: async () => (await import('./commands/backup-fetch.js')).backupFetchCommand.handler,
    options: {
      'restore-command': { type: 'string', describe: 'restore_command for the restored server (default: this pgward wal-fetch)' },
      'target-time': { type: 'string', describe: 'recover to this time (recovery_target_time)' },
      'target-lsn': { type: 'string', describe: 'recover to this LSN' },
      'target-name': { type: 'string', describe: 'recover to this restore point' },
      'target-action': { type: 'string', describe: 'promote (default), pause or shutdown at the target' },
      'tablespace-map': { type: 'string', array: true, describe: 'OID=DIR or OLDDIR=NEWDIR, repeatable' },
      'archive': { type: 'boolean', describe: "keep archiving in the copy, for a restore that replaces the source; by default (and with --no-archive) the copy gets archive_mode = off and never writes into the source's repository" },
      'owner': { type: 'string', describe: 'backup-fetch as root: OS user to own the restored files (default postgres)' },
    },
  },
  {
    command: 'backup-verify [backup]',
    describe: 'prove a backup (a name, default LATEST) restores: checksums and WAL, then restore, start PostgreSQL, recover and check; records the result',
    load: async () => (await import('./commands/backup-verify.js')).backupVerifyCommand.handler,
    options: {
      'all-unverified': { type: 'boolean', describe: 'verify, oldest first, every complete backup that has no verification record yet (a FAILED one keeps its verdict)' },
      'level': { type: 'string', describe: 'files (checksums and WAL, no server) or restore (default)' },
      'to-end': { type: 'boolean', describe: "replay every archived segment of the backup's timeline, not only to consistency" },
      'check-sql': { type: 'string', describe: 'file of SQL statements (ending with ;) that must each return true on the restored copy' },
      'pg-bin': { type: 'string', describe: "bin directory of the backup's PostgreSQL major (default PGWARD_PG_BIN_<major>, /usr/lib/postgresql/<major>/bin)" },
      'amcheck': { type: 'boolean', describe: 'run pg_amcheck on the copy (PostgreSQL 14+, default on; --no-amcheck to skip)' },
      'keep': { type: 'boolean', describe: 'keep the restored copy (server stopped) for inspection' },
      'timeout': { type: 'number', describe: 'seconds the whole verification may take (default 3600)' },
      'owner': { type: 'string', describe: 'as root: OS user that owns the copy and runs its server (default postgres)' },
    },
  },
  {
    command: 'backup-list',
    describe: 'list complete backups (--all: incomplete ones too)',
    load: async () => (await import('./commands/backup-list.js')).backupListCommand.handler,
    options: {
      'all': { type: 'boolean', describe: 'also incomplete backups' },
    },
  },
  {
    command: 'daemon [pgdata]',
    describe: "serve the cluster's wal-push/wal-fetch over a Unix socket and archive .ready segments ahead",
    load: async () => (await import('./commands/daemon.js')).daemonCommand.handler,
    options: {
      'socket': { type: 'string', describe: 'socket path (default /run/pgward/<instance>.sock)' },
      'concurrency': { type: 'number', describe: 'uploads in parallel (default 4)' },
    },
  },
  {
    command: 'delete <rule> <target>',
    describe: 'delete old backups and the WAL only they need: retain N | before NAME (dry run without --confirm)',
    load: async () => (await import('./commands/delete.js')).deleteCommand.handler,
    options: {
      'confirm': { type: 'boolean', describe: 'really delete (otherwise a dry run)' },
    },
  },
  {
    command: 'install-units',
    describe: 'install the systemd units (pgward@, pgward-backup@ and pgward-verify@ with their timers) with this installation’s paths',
    load: async () => (await import('./commands/install-units.js')).installUnitsCommand.handler,
    options: {
      'dest': { type: 'string', describe: 'target folder (default /etc/systemd/system)' },
    },
  },
  {
    command: 'location-add [pgdata]',
    describe: 'allow the cluster in PGDATA on this host to write into the repository (a new primary, a standby, a restore that replaces the source)',
    load: async () => (await import('./commands/location-add.js')).locationAddCommand.handler,
    options: {
      'role': { type: 'string', describe: 'primary, standby, restore or manual (default manual): recorded for location-list' },
    },
  },
  {
    command: 'location-list',
    describe: 'list the locations (host + data directory) allowed to write into the repository',
    load: async () => (await import('./commands/location-list.js')).locationListCommand.handler,
  },
  {
    command: 'location-remove <directory>',
    describe: 'retire a location (e.g. the old primary after a restore replaced it): its writes are refused from then on',
    load: async () => (await import('./commands/location-remove.js')).locationRemoveCommand.handler,
    options: {
      'location-host': { type: 'string', describe: 'the host the location is on (default this host)' },
    },
  },
  {
    command: 'repo-info',
    describe: 'show which cluster the repository belongs to (its pgward.json stamp)',
    load: async () => (await import('./commands/repo-info.js')).repoInfoCommand.handler,
  },
  {
    command: 'version',
    describe: 'print the version, and with --json the Node.js, platform and build details a bug report needs',
    load: async () => (await import('./commands/version.js')).versionCommand.handler,
  },
];

function globalOptions(cli: Argv): Argv {
  return cli
    .option('json', { type: 'boolean', describe: 'results (stdout) and errors (stderr) as JSON' })
    .option('debug', { type: 'boolean', describe: 'debug logging and stack traces on errors' })
    .option('log-level', { type: 'string', describe: 'trace, debug, info, warn, error or silent' })
    .option('log-format', { type: 'string', describe: 'auto (text on a terminal, else JSON), json or text' })
    .option('envdir', { type: 'string', describe: 'read settings from a daemontools envdir (wal-e layout)' })
    .option('config', { type: 'string', describe: 'config file of KEY=VALUE lines (default /etc/pgward/pgward.conf)' })
    .option('repo', { type: 'string', describe: 'repository URL: s3://bucket/prefix or file:///path' })
    .option('s3-prefix', { type: 'string', describe: 'wal-e name of --repo', hidden: true })
    // wal-e's flags, accepted so existing wal-e command lines keep working; pgward sizes its own
    // parallelism and has no wal-e-style rate limit or terse mode.
    .option('terse', { type: 'boolean', hidden: true })
    .option('pool-size', { type: 'number', hidden: true })
    .option('cluster-read-rate-limit', { type: 'number', hidden: true })
    .option('prefetch', { type: 'number', hidden: true })
    .option('aws-instance-profile', { type: 'boolean', hidden: true, describe: 'wal-e: use the instance profile (pgward: the default AWS chain when no keys are set)' })
    .option('s3-endpoint', { type: 'string', describe: 'S3-compatible endpoint URL' })
    .option('s3-region', { type: 'string', describe: 'S3 region' })
    .option('host', { type: 'string', describe: 'PostgreSQL host/socket directory (must agree with postmaster.pid)' })
    .option('port', { type: 'string', describe: 'PostgreSQL port (must agree with postmaster.pid)' })
    .option('user', { type: 'string', describe: 'PostgreSQL role' })
    .option('database', { type: 'string', describe: 'database to connect to' })
    .option('pgdata', { type: 'string', describe: 'data directory (wal-push/wal-fetch: default the working directory)' })
    .option('compression', { type: 'string', describe: 'lz4 (default), zstd, gzip or none' });
}

async function runCommand(definition: CommandDefinition, args: Record<string, unknown>): Promise<void> {
  // Loaded here, not at the top: the daemon fast path of wal-push must not pay for pino.
  const { createContext } = await import('./context.js');
  const ctx = createContext(args as GlobalArgs, definition.command.split(' ')[0]!, process.env, definition.quiet ? 'warn' : 'info');
  const handler = await definition.load();
  await handler(ctx, args);
}

async function runWithYargs(argv: string[]): Promise<void> {
  const { default: yargs } = await import('yargs');
  let outcome: Promise<void> | undefined;
  let cli = globalOptions(yargs(argv))
    .scriptName('pgward')
    .usage('$0 <command> [options]\n\nPostgreSQL backups that always come from the cluster you named.')
    .strict()
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .help()
    .alias('help', 'h')
    // The version is the one sentinels and stamps record (a unit test keeps it equal to package.json).
    .version('version', 'print the version of pgward', `pgward ${PGWARD_VERSION}`)
    .alias('version', 'V')
    .wrap(Math.min(110, process.stdout.columns ?? (Number(process.env['COLUMNS']) || 100)))
    .fail((message, err) => {
      throw err ?? new UsageError(message ?? 'invalid command line', { hint: 'pgward --help lists the commands and options' });
    });
  for (const definition of COMMANDS) {
    cli = cli.command(definition.command, definition.describe, (y) => y.options(definition.options ?? {}), (args) => {
      // yargs does not await handlers it does not own; the promise is awaited below.
      outcome = runCommand(definition, args as Record<string, unknown>);
    });
  }
  await cli.parseAsync();
  if (outcome) await outcome;
}

export async function main(argv: string[]): Promise<number> {
  const mode = { json: argv.includes('--json'), debug: argv.includes('--debug') };
  try {
    const fast = parseFastPath(argv);
    if (fast) {
      const { viaDaemon } = await import('./daemon-fast-path.js');
      const status = await viaDaemon(fast);
      if (status !== undefined) return status;
    }
    const definition = fast && COMMANDS.find((c) => c.command.startsWith(`${fast.command} `));
    if (fast && definition) await runCommand(definition, fast.args);
    else await runWithYargs(argv);
    return 0;
  } catch (err) {
    if (err instanceof ExitWith) return err.status;
    const error = asPgwardError(err);
    // PostgreSQL asks restore_command for files that do not exist as a matter of course (the next
    // timeline's history, the segment after the last): "not in the archive" is not worth a log line.
    if (error.code !== 'WAL_NOT_IN_ARCHIVE' || mode.debug) writeError(error, mode);
    return error.exitCode;
  }
}

export async function run(argv: string[]): Promise<void> {
  process.exitCode = await main(argv);
}

// What every command handler receives: resolved settings, a logger bound to the command, and the
// output mode. Built from the parsed command line, the environment, --envdir and --config.
import { Settings } from '../config/settings.js';
import { ConfigError } from '../errors/errors.js';
import { createLogger, LOG_LEVELS, type LogFormat, type Logger, type LogLevel } from '../log/logger.js';
import type { ConnectionOverrides } from '../postgres/target.js';

export interface GlobalArgs {
  json?: boolean;
  debug?: boolean;
  envdir?: string;
  config?: string;
  [flag: string]: unknown;
}

export interface CommandContext {
  settings: Settings;
  log: Logger;
  json: boolean;
  debug: boolean;
}

const FORMATS: readonly LogFormat[] = ['auto', 'json', 'text'];

export function flagValues(args: GlobalArgs): Record<string, string | number | boolean | undefined> {
  const flags: Record<string, string | number | boolean | undefined> = {};
  for (const [key, value] of Object.entries(args)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') flags[key] = value;
  }
  // wal-e's --s3-prefix is the repository flag under its old name.
  if (flags['s3-prefix'] !== undefined && flags.repo === undefined) flags.repo = flags['s3-prefix'];
  return flags;
}

export function createContext(args: GlobalArgs, command: string, env: NodeJS.ProcessEnv = process.env, defaultLevel: LogLevel = 'info'): CommandContext {
  const settings = new Settings({
    flags: flagValues(args),
    env,
    envdir: args.envdir ?? env.PGWARD_ENVDIR,
    configFile: args.config ?? env.PGWARD_CONFIG,
  });
  const level = settings.get('logLevel');
  if (level && !LOG_LEVELS.includes(level.value as LogLevel)) {
    throw new ConfigError(`log level ${JSON.stringify(level.value)} (${level.source}) is not one of ${LOG_LEVELS.join(', ')}`);
  }
  const format = settings.get('logFormat');
  if (format && !FORMATS.includes(format.value as LogFormat)) {
    throw new ConfigError(`log format ${JSON.stringify(format.value)} (${format.source}) is not one of ${FORMATS.join(', ')}`);
  }
  const log = createLogger({
    level: (level?.value as LogLevel | undefined) ?? (args.debug ? 'debug' : defaultLevel),
    format: (format?.value as LogFormat | undefined) ?? 'auto',
    base: { command },
  });
  log.debug({ settings: settings.toJSON() }, 'settings resolved');
  return { settings, log, json: Boolean(args.json), debug: Boolean(args.debug) };
}

export function connectionOverrides(settings: Settings): ConnectionOverrides & { password?: ReturnType<Settings['secret']> } {
  return {
    host: settings.get('pgHost'),
    port: settings.get('pgPort'),
    user: settings.get('pgUser'),
    database: settings.get('pgDatabase'),
    password: settings.secret('pgPassword'),
  };
}

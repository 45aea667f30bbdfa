// pino on stderr. Short-lived commands (every command PostgreSQL runs) write synchronously so nothing
// is lost when the process exits; JSON lines when stderr is not a terminal, readable lines when it is.
import { writeSync } from 'node:fs';
import { pino, type Logger, type DestinationStream } from 'pino';
import { REDACT_PATHS } from './redact.js';
import { formatLogLine } from './text-format.js';

export type { Logger };
export type LogFormat = 'auto' | 'json' | 'text';
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** file descriptor to write to; 2 (stderr) unless a test wants another */
  fd?: number;
  base?: Record<string, unknown>;
}

function useText(format: LogFormat, fd: number): boolean {
  if (format === 'json') return false;
  if (format === 'text') return true;
  return fd === 2 ? Boolean(process.stderr.isTTY) : false;
}

function colourAllowed(fd: number): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return fd === 2 && Boolean(process.stderr.isTTY) && process.env.TERM !== 'dumb';
}

function syncDestination(fd: number, text: boolean): DestinationStream {
  const colour = text && colourAllowed(fd);
  return {
    write(line: string): void {
      writeSync(fd, text ? formatLogLine(line, colour) : line);
    },
  };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const fd = options.fd ?? 2;
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? {},
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.epochTime,
      formatters: { level: (_label, number) => ({ level: number }) },
    },
    syncDestination(fd, useText(options.format ?? 'auto', fd)),
  );
}

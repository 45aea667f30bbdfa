// How a failure reaches the user: one line with what is wrong, one HINT line with what to do, on
// stderr (under PostgreSQL that is the server log). A stack trace only with --debug.
import { writeSync } from 'node:fs';
import type { PgwardError } from '../errors/errors.js';

function causeChain(err: Error): string[] {
  const lines: string[] = [];
  let cause: unknown = err.cause;
  while (cause instanceof Error) {
    lines.push(`caused by: ${cause.stack ?? cause.message}`);
    cause = cause.cause;
  }
  return lines;
}

export function renderError(err: PgwardError, options: { json: boolean; debug: boolean }): string {
  if (options.json) {
    const doc: Record<string, unknown> = { level: 'error', time: Date.now(), ...err.toJSON() };
    if (options.debug) doc.stack = [err.stack, ...causeChain(err)].join('\n');
    return `${JSON.stringify(doc)}\n`;
  }
  const lines = [`pgward: ERROR: ${err.message}`];
  if (err.hint) lines.push(`HINT: ${err.hint}`);
  if (options.debug) lines.push(err.stack ?? '', ...causeChain(err));
  return `${lines.join('\n')}\n`;
}

export function writeError(err: PgwardError, options: { json: boolean; debug: boolean }): void {
  writeSync(2, renderError(err, options));
}

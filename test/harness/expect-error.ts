// What every failure must look like: the documented exit code, one "pgward: ERROR:" line saying what
// is wrong, one HINT line, and no stack trace.
import { expect } from '@jest/globals';
import type { CliResult } from './cli.js';

export function expectCleanError(result: CliResult, exitCode: number, message: RegExp): void {
  const lines = result.stderr.trim().split('\n');
  const errorLines = lines.filter((line) => line.startsWith('pgward: ERROR: '));
  expect({ exitCode: result.exitCode, error: errorLines[0] }).toEqual({ exitCode, error: expect.stringMatching(message) });
  expect(errorLines).toHaveLength(1);
  expect(lines.some((line) => line.startsWith('HINT: '))).toBe(true);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

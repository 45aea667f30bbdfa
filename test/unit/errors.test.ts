import { describe, expect, test } from '@jest/globals';
import { ERROR_CODES } from '../../src/errors/codes.js';
import { ClusterIdentityError, asPgwardError, StorageError } from '../../src/errors/errors.js';
import { renderError } from '../../src/cli/render-error.js';

describe('error table', () => {
  test('exit codes are unique per code, at most 125, and 1 is only "not in archive"', () => {
    const numbers = Object.values(ERROR_CODES).map((entry) => entry.exitCode);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(Math.max(...numbers)).toBeLessThanOrEqual(125);
    expect(ERROR_CODES.WAL_NOT_IN_ARCHIVE.exitCode).toBe(1);
  });

  test('the numbers the README documents', () => {
    expect(Object.fromEntries(Object.entries(ERROR_CODES).map(([code, entry]) => [code, entry.exitCode]))).toEqual({
      WAL_NOT_IN_ARCHIVE: 1,
      USAGE: 2,
      CLUSTER_IDENTITY_MISMATCH: 3,
      REPO_IDENTITY_MISMATCH: 4,
      CLUSTER_UNUSABLE: 5,
      STORAGE_FAILURE: 6,
      ARCHIVE_DUPLICATE: 7,
      INTEGRITY_FAILURE: 8,
      POSTGRES_ERROR: 9,
      RESTORE_TARGET_UNUSABLE: 10,
      INTERRUPTED: 11,
      VERIFICATION_FAILED: 12,
      STATUS_WARNING: 13,
      STATUS_CRITICAL: 14,
      INTERNAL: 70,
    });
  });
});

describe('rendering', () => {
  const err = new ClusterIdentityError('port 5432 disagrees', { hint: 'unset PGPORT' });

  test('text: one line, then HINT, no stack', () => {
    expect(renderError(err, { json: false, debug: false })).toBe('pgward: ERROR: port 5432 disagrees\nHINT: unset PGPORT\n');
  });

  test('json: one line with code, exit code and hint', () => {
    const doc = JSON.parse(renderError(err, { json: true, debug: false })) as Record<string, unknown>;
    expect(doc).toMatchObject({ level: 'error', code: 'CLUSTER_IDENTITY_MISMATCH', exitCode: 3, message: 'port 5432 disagrees', hint: 'unset PGPORT' });
    expect(doc.stack).toBeUndefined();
  });

  test('debug adds the stack and the cause chain', () => {
    const wrapped = new StorageError('put failed', { cause: new Error('ECONNRESET') });
    const text = renderError(wrapped, { json: false, debug: true });
    expect(text).toContain('caused by: Error: ECONNRESET');
    expect(text).toContain('at ');
  });

  test('foreign errors become internal errors (exit 70)', () => {
    expect(asPgwardError(new TypeError('x')).exitCode).toBe(70);
    expect(asPgwardError(err)).toBe(err);
  });
});

describe('README', () => {
  test('documents exactly the exit codes of the table', async () => {
    const { readFileSync } = await import('node:fs');
    const { REPO_ROOT } = await import('../harness/paths.js');
    const readme = readFileSync(`${REPO_ROOT}/README.md`, 'utf8');
    const documented = [...readme.matchAll(/^\| (\d+) \| `([A-Z_]+)` \|/gm)].map((m) => [m[2], Number(m[1])]);
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(Object.entries(ERROR_CODES).map(([code, entry]) => [code, entry.exitCode])));
  });
});

import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, openSync, readFileSync, closeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log/logger.js';
import { formatLogLine } from '../../src/log/text-format.js';
import { Secret } from '../../src/config/secret.js';

function capture(format: 'json' | 'text', write: (log: ReturnType<typeof createLogger>) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgward-log-'));
  try {
    const path = join(dir, 'out');
    const fd = openSync(path, 'w');
    write(createLogger({ fd, format, base: { command: 'test' } }));
    closeSync(fd);
    return readFileSync(path, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('logger', () => {
  test('JSON lines with level number, time and bound fields', () => {
    const out = capture('json', (log) => log.child({ cluster: '15/main' }).info({ port: 5433 }, 'verified'));
    const entry = JSON.parse(out.trim()) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 30, command: 'test', cluster: '15/main', port: 5433, msg: 'verified' });
    expect(typeof entry.time).toBe('number');
  });

  test('credentials are redacted wherever they appear', () => {
    const out = capture('json', (log) => {
      log.info({ secretAccessKey: 'AKIAsecret1', s3: { credentials: { secretAccessKey: 'AKIAsecret2' } }, password: 'pw-secret3' }, 'x');
      log.info({ key: new Secret('AKIAsecret4') }, 'y');
    });
    expect(out).not.toMatch(/AKIAsecret|pw-secret/);
  });

  test('text format is one readable line', () => {
    const line = formatLogLine(JSON.stringify({ level: 40, time: 0, msg: 'slow checkpoint', cluster: '15/main', note: 'a b' }), false);
    expect(line).toMatch(/^\d\d:\d\d:\d\d WARN  slow checkpoint {2}cluster=15\/main note="a b"\n$/);
  });

  test('colour codes only when asked', () => {
    expect(formatLogLine('{"level":30,"msg":"x"}', true)).toContain('\x1b[');
    expect(formatLogLine('{"level":30,"msg":"x"}', false)).not.toContain('\x1b[');
  });
});

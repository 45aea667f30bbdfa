import { describe, expect, test } from '@jest/globals';
import { recoveryFiles, recoverySettings } from '../../src/backup/recovery-config.js';

const at = new Date('2026-11-22T06:00:00Z');

describe('recovery settings per major', () => {
  test('archiving off by default; a target with its action', () => {
    expect(recoverySettings("pgward wal-fetch %f %p", { time: '2026-11-22 06:30:00.000000+00' }, true)).toEqual({
      recovery: ["restore_command = 'pgward wal-fetch %f %p'", "recovery_target_time = '2026-11-22 06:30:00.000000+00'", "recovery_target_action = 'promote'"],
      server: ["archive_mode = 'off'"],
    });
    expect(recoverySettings('x', {}, false)).toEqual({ recovery: ["restore_command = 'x'"], server: [] });
  });

  test('12 and later: everything appended to postgresql.auto.conf, plus recovery.signal', () => {
    const files = recoveryFiles(150004, recoverySettings('x', {}, true), at);
    expect(files.map((f) => [f.name, f.append])).toEqual([['postgresql.auto.conf', true], ['recovery.signal', false]]);
    expect(files[0]!.content).toBe("\n# Added by pgward backup-fetch 2026-11-22T06:00:00.000Z\nrestore_command = 'x'\narchive_mode = 'off'\n");
  });

  test('before 12: recovery.conf for recovery, archive_mode still off through postgresql.auto.conf', () => {
    const files = recoveryFiles(110005, recoverySettings('x', {}, true), at);
    expect(files.map((f) => [f.name, f.append])).toEqual([['recovery.conf', false], ['postgresql.auto.conf', true]]);
    expect(files[0]!.content).not.toMatch(/archive_mode/);
    expect(files[1]!.content).toMatch(/^archive_mode = 'off'$/m);
  });

  test('before 12 with --archive: recovery.conf only', () => {
    expect(recoveryFiles(100023, recoverySettings('x', {}, false), at).map((f) => f.name)).toEqual(['recovery.conf']);
  });
});

import { describe, expect, test } from '@jest/globals';
import { crc32c } from '../../src/cluster/crc32c.js';
import { formatLsn, parsePgControl, PgControlParseError, PG_CONTROL_FILE_SIZE } from '../../src/cluster/pg-control.js';

// A synthetic pg_control laid out as PostgreSQL writes it: leading fields at fixed offsets, the
// CRC-32C of every byte before it at the end of the struct (its offset varies between versions).
function controlFile(options: { crcOffset: number; systemIdentifier?: bigint; controlVersion?: number; state?: number }): Buffer {
  const buf = Buffer.alloc(PG_CONTROL_FILE_SIZE);
  buf.writeBigUInt64LE(options.systemIdentifier ?? 7710695137008396876n, 0);
  buf.writeUInt32LE(options.controlVersion ?? 1300, 8);
  buf.writeUInt32LE(202209061, 12);
  buf.writeInt32LE(options.state ?? 6, 16);
  buf.writeBigInt64LE(1763750000n, 24);
  buf.writeBigUInt64LE(0x1500708n, 32);
  buf.writeBigUInt64LE(0x15006d0n, 40);
  buf.writeUInt32LE(1, 48);
  for (let i = 52; i < options.crcOffset; i++) buf[i] = (i * 7) & 0xff;
  buf.writeUInt32LE(crc32c(buf, 0, options.crcOffset), options.crcOffset);
  return buf;
}

describe('parsePgControl', () => {
  test.each([256, 288, 296])('finds the CRC at offset %i and reads the identity', (crcOffset) => {
    const parsed = parsePgControl(controlFile({ crcOffset }));
    expect(parsed).toMatchObject({
      systemIdentifier: '7710695137008396876',
      controlVersion: 1300,
      catalogVersion: 202209061,
      state: 'in production',
      checkpointLsn: '0/1500708',
      redoLsn: '0/15006D0',
      timeline: 1,
      crcOffset,
    });
  });

  test('keeps a system identifier above 2^63 exact (it is a string)', () => {
    const parsed = parsePgControl(controlFile({ crcOffset: 296, systemIdentifier: 18446744073709551557n }));
    expect(parsed.systemIdentifier).toBe('18446744073709551557');
  });

  test.each([
    [1, 'shut down'],
    [2, 'shut down in recovery'],
    [5, 'in archive recovery'],
    [42, 'unknown (42)'],
  ])('state %i is %j', (state, name) => {
    expect(parsePgControl(controlFile({ crcOffset: 296, state })).state).toBe(name);
  });

  test('a flipped bit is a CRC mismatch', () => {
    const buf = controlFile({ crcOffset: 296 });
    buf[3]! ^= 0x10;
    expect(() => parsePgControl(buf)).toThrow(expect.objectContaining({ problem: 'crc-mismatch' }) as unknown as Error);
  });

  test('a truncated file is refused before any parsing', () => {
    const buf = controlFile({ crcOffset: 296 }).subarray(0, 4096);
    let caught: unknown;
    try {
      parsePgControl(buf);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PgControlParseError);
    expect((caught as PgControlParseError).problem).toBe('truncated');
  });

  test('a zero-filled file does not pass as pg_control', () => {
    expect(() => parsePgControl(Buffer.alloc(PG_CONTROL_FILE_SIZE))).toThrow(PgControlParseError);
  });

  test('an implausible control version is refused even with a valid CRC', () => {
    expect(() => parsePgControl(controlFile({ crcOffset: 296, controlVersion: 7 }))).toThrow(/not plausible/);
  });
});

describe('formatLsn', () => {
  test.each([
    [0n, '0/0'],
    [0x1500708n, '0/1500708'],
    [0x2_0000_00a0n, '2/A0'],
  ])('%s', (value, text) => expect(formatLsn(value)).toBe(text));
});

import { describe, expect, test } from '@jest/globals';
import { crc32c } from '../../src/cluster/crc32c.js';

describe('crc32c', () => {
  test.each([
    ['', 0x00000000],
    ['a', 0xc1d04330],
    ['123456789', 0xe3069283],
  ])('%j', (input, expected) => {
    expect(crc32c(Buffer.from(input))).toBe(expected);
  });

  test('32 zero bytes (RFC 3720 vector)', () => {
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
  });

  test('range arguments checksum a slice', () => {
    const buf = Buffer.from('xx123456789yy');
    expect(crc32c(buf, 2, 11)).toBe(0xe3069283);
  });
});

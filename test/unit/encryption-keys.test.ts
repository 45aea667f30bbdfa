import { afterAll, describe, expect, test } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { ConfigError } from '../../src/errors/errors.js';
import { EncryptionKey, KeyRing, parseKey, readKeyFile } from '../../src/crypto/keys.js';

const hex = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const raw = Buffer.from(hex, 'hex');
const dir = mkdtempSync(join(tmpdir(), 'pgward-keys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a key is 32 bytes as hex or base64', () => {
  test('hex, base64 and base64url give the same key and identifier', () => {
    const fromHex = parseKey(`  ${hex}\n`, 'PGWARD_ENCRYPTION_KEY');
    expect(fromHex.bytes().equals(raw)).toBe(true);
    expect(parseKey(raw.toString('base64'), 'K').id).toBe(fromHex.id);
    expect(parseKey(raw.toString('base64url'), 'K').id).toBe(fromHex.id);
    expect(fromHex.id).toMatch(/^[0-9a-f]{16}$/);
    // Stable across releases: the identifier is stored in the repository.
    expect(fromHex.id).toBe(new EncryptionKey(raw).id);
    expect(new EncryptionKey(Buffer.alloc(32, 1)).id).not.toBe(fromHex.id);
  });

  test.each([['too short', hex.slice(2)], ['a passphrase', 'correct horse battery staple'], ['hex with a stray letter', `${hex.slice(1)}g`], ['16 bytes of base64', Buffer.alloc(16).toString('base64')]])(
    '%s is a configuration error that does not repeat the text',
    (_what, text) => {
      let error: unknown;
      try {
        parseKey(text, 'PGWARD_ENCRYPTION_KEY');
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).exitCode).toBe(2);
      expect((error as Error).message).toContain('PGWARD_ENCRYPTION_KEY');
      expect((error as Error).message).not.toContain(text.trim());
    },
  );

  test('a key never prints its bytes', () => {
    const key = new EncryptionKey(raw);
    for (const shown of [String(key), JSON.stringify({ key }), inspect(key), inspect({ nested: { key } })]) {
      expect(shown).not.toContain(hex);
      expect(shown).not.toContain(raw.toString('base64'));
      expect(shown).toContain(key.id);
    }
  });
});

describe('a key file is read only when no one else can read it', () => {
  test('mode 0600 is read; 0640 and 0644 are refused with chmod in the hint', () => {
    const path = join(dir, 'key');
    writeFileSync(path, `${hex}\n`, { mode: 0o600 });
    expect(readKeyFile(path, 'PGWARD_ENCRYPTION_KEY_FILE').bytes().equals(raw)).toBe(true);
    for (const mode of [0o640, 0o644, 0o606]) {
      chmodSync(path, mode);
      expect(() => readKeyFile(path, 'PGWARD_ENCRYPTION_KEY_FILE')).toThrow(/can be read or written by others/);
    }
  });
  test('a missing file and a directory are configuration errors naming the path', () => {
    expect(() => readKeyFile(join(dir, 'absent'), 'PGWARD_ENCRYPTION_KEY_FILE')).toThrow(/absent cannot be read: ENOENT/);
    expect(() => readKeyFile(dir, 'PGWARD_ENCRYPTION_KEY_FILE')).toThrow(/not a regular file/);
  });
  test('a file holding something else than a key does not show its content', () => {
    const path = join(dir, 'wrong');
    writeFileSync(path, 'hunter2 is my password\n', { mode: 0o600 });
    expect(() => readKeyFile(path, 'PGWARD_ENCRYPTION_KEY_FILE')).toThrow(ConfigError);
    try {
      readKeyFile(path, 'PGWARD_ENCRYPTION_KEY_FILE');
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });
});

test('a key ring finds keys by identifier, the current one first', () => {
  const current = new EncryptionKey(Buffer.alloc(32, 1));
  const old = new EncryptionKey(Buffer.alloc(32, 2));
  const ring = new KeyRing(current, [old, current]);
  expect(ring.ids).toEqual([current.id, old.id]);
  expect(ring.find(old.id)).toBe(old);
  expect(ring.find('0000000000000000')).toBeUndefined();
});

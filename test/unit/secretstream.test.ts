// The encrypted object layout, checked against an independent reading of WAL-G's libsodium format
// (internal/crypto/libsodium: a 24-byte secretstream header, 8192-byte plaintext chunks tagged
// MESSAGE, a final shorter chunk tagged FINAL), written here with libsodium's calls directly.
import { describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { Readable, Writable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sodium from 'sodium-native';
import { IntegrityError } from '../../src/errors/errors.js';
import { EncryptionKey } from '../../src/crypto/keys.js';
import { DecryptStream, EncryptStream, decryptBuffer, encryptBuffer, encryptedSize } from '../../src/crypto/secretstream.js';

const key = new EncryptionKey(Buffer.alloc(32, 7));
const otherKey = new EncryptionKey(Buffer.alloc(32, 8));
const ABYTES = sodium.crypto_secretstream_xchacha20poly1305_ABYTES;

/** WAL-G's writer, step for step: chunks of 8192 tagged MESSAGE, then the rest tagged FINAL. */
function walgEncrypt(plain: Buffer, raw: Buffer): Buffer {
  const state = Buffer.alloc(sodium.crypto_secretstream_xchacha20poly1305_STATEBYTES);
  const header = Buffer.alloc(sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES);
  sodium.crypto_secretstream_xchacha20poly1305_init_push(state, header, raw);
  const parts = [header];
  let at = 0;
  for (; plain.length - at >= 8192; at += 8192) {
    const c = Buffer.alloc(8192 + ABYTES);
    sodium.crypto_secretstream_xchacha20poly1305_push(state, c, plain.subarray(at, at + 8192), null, sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
    parts.push(c);
  }
  const last = Buffer.alloc(plain.length - at + ABYTES);
  sodium.crypto_secretstream_xchacha20poly1305_push(state, last, plain.subarray(at), null, sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL);
  parts.push(last);
  return Buffer.concat(parts);
}

/** WAL-G's reader, step for step: whole 8209-byte reads must be MESSAGE, a short read is the FINAL chunk. */
function walgDecrypt(stored: Buffer, raw: Buffer): Buffer {
  const state = Buffer.alloc(sodium.crypto_secretstream_xchacha20poly1305_STATEBYTES);
  sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, stored.subarray(0, 24), raw);
  const out: Buffer[] = [];
  const tag = Buffer.alloc(1);
  for (let at = 24; at < stored.length; at += 8192 + ABYTES) {
    const c = stored.subarray(at, at + 8192 + ABYTES);
    const m = Buffer.alloc(c.length - ABYTES);
    sodium.crypto_secretstream_xchacha20poly1305_pull(state, m, tag, c, null);
    const short = c.length < 8192 + ABYTES;
    expect(tag[0] === sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL).toBe(short);
    out.push(m);
  }
  return Buffer.concat(out);
}

/** Streams `stored` through a decrypter in pieces of the given sizes (cycled). */
async function streamThrough(stage: Transform, input: Buffer, pieces: number[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < input.length; i++) {
    const size = pieces[i % pieces.length]!;
    chunks.push(input.subarray(at, at + size));
    at += size;
  }
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), stage, new Writable({ write: (part: Buffer, _encoding, done) => (out.push(part), done()) }));
  return Buffer.concat(out);
}

const SIZES = [0, 1, 8191, 8192, 8193, 3 * 8192, 1024 * 1024 + 7];

describe('the layout is WAL-G libsodium mode', () => {
  test.each(SIZES)('%i bytes: pgward writes what WAL-G reads, and reads what WAL-G writes', async (size) => {
    const plain = randomBytes(size);
    const ours = await streamThrough(new EncryptStream(key), plain, [1000, 65536, 3]);
    expect(ours.length).toBe(encryptedSize(size));
    expect(walgDecrypt(ours, key.bytes()).equals(plain)).toBe(true);
    const theirs = walgEncrypt(plain, key.bytes());
    expect((await streamThrough(new DecryptStream(key, 'wal_005/x.lz4'), theirs, [8209, 5, 70000])).equals(plain)).toBe(true);
    expect(decryptBuffer(theirs, key, 'x').equals(plain)).toBe(true);
    expect(decryptBuffer(encryptBuffer(plain, key), key, 'x').equals(plain)).toBe(true);
  });

  test('every object has its own header: the same plaintext never gives the same bytes', () => {
    const plain = Buffer.from('the same segment twice');
    expect(encryptBuffer(plain, key).equals(encryptBuffer(plain, key))).toBe(false);
  });
});

describe('what is not a whole object under this key is an integrity failure, never a short plaintext', () => {
  const plain = randomBytes(5 * 8192 + 100);
  const stored = encryptBuffer(plain, key);
  const refused = async (bytes: Buffer, pattern: RegExp, k = key): Promise<void> => {
    expect(() => decryptBuffer(bytes, k, 'basebackups_005/b/tar_partitions/part_00000001.tar.lz4')).toThrow(pattern);
    await expect(streamThrough(new DecryptStream(k, 'part_00000001'), bytes, [4096])).rejects.toBeInstanceOf(IntegrityError);
  };

  test('the final chunk missing (cut at a chunk boundary)', async () => {
    await refused(stored.subarray(0, 24 + 5 * (8192 + ABYTES)), /cut short/);
  });
  test('cut inside a chunk', async () => {
    await refused(stored.subarray(0, stored.length - 50), /does not authenticate|cut short/);
    await refused(stored.subarray(0, 24 + 10), /inside a chunk/);
  });
  test('shorter than its header', async () => {
    await refused(stored.subarray(0, 10), /shorter than its header/);
  });
  test('a flipped byte anywhere', async () => {
    for (const at of [0, 30, 24 + 8192 + ABYTES + 5, stored.length - 1]) {
      const damaged = Buffer.from(stored);
      damaged[at]! ^= 0x01;
      await refused(damaged, /does not authenticate/);
    }
  });
  test('bytes after the final chunk', async () => {
    await refused(Buffer.concat([stored, Buffer.from('x')]), /does not authenticate|follow its final chunk/);
    await refused(Buffer.concat([stored, stored]), /does not authenticate|follow its final chunk/);
  });
  test('chunks reordered', async () => {
    const c = 8192 + ABYTES;
    const swapped = Buffer.concat([stored.subarray(0, 24), stored.subarray(24 + c, 24 + 2 * c), stored.subarray(24, 24 + c), stored.subarray(24 + 2 * c)]);
    await refused(swapped, /chunk 1 does not authenticate/);
  });
  test('another key: the error names the key tried, not its bytes', async () => {
    await refused(stored, /chunk 1 does not authenticate/, otherKey);
    try {
      decryptBuffer(stored, otherKey, 'wal_005/000000010000000000000001.lz4');
    } catch (err) {
      expect((err as IntegrityError).hint).toContain(otherKey.id);
      expect(JSON.stringify(err)).not.toContain(otherKey.bytes().toString('hex'));
    }
  });
});

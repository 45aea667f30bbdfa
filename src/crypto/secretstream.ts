// Encrypted objects: libsodium's crypto_secretstream_xchacha20poly1305 (XChaCha20 with Poly1305 per
// chunk, chunks numbered and the last one tagged, so that reordering, truncation or appending is
// detected), through sodium-native. The layout is the one WAL-G's libsodium mode writes, so that
// each tool can read the other's objects given the same 32-byte key:
//
//   header (24 bytes) | chunk | chunk | ... | final chunk
//
// where every chunk holds 8192 bytes of plaintext (8192 + 17 bytes stored) with the tag MESSAGE,
// and the final chunk holds the remaining 0-8191 bytes with the tag FINAL. An object ends with its
// final chunk: anything missing or added after it is an error, never a short plaintext.
//
// Memory is bounded whatever the object's size: a carry of less than one chunk, and output made
// per input chunk, encrypted in place in one buffer.
import { Transform, type TransformCallback } from 'node:stream';
import sodium from 'sodium-native';
import { IntegrityError } from '../errors/errors.js';
import type { EncryptionKey } from './keys.js';

/** Plaintext bytes per chunk: WAL-G's libsodium chunk size. */
export const PLAIN_CHUNK = 8192;
const HEADER = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES;
const OVERHEAD = sodium.crypto_secretstream_xchacha20poly1305_ABYTES;
const CIPHER_CHUNK = PLAIN_CHUNK + OVERHEAD;
const TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
const TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;

/** Stored size of `plainBytes` of plaintext. */
export function encryptedSize(plainBytes: number): number {
  return HEADER + Math.floor(plainBytes / PLAIN_CHUNK) * CIPHER_CHUNK + (plainBytes % PLAIN_CHUNK) + OVERHEAD;
}

/** Encrypts an object given in pieces: header() first, then update() per piece, then final(). */
export class Encrypter {
  private readonly state = Buffer.alloc(sodium.crypto_secretstream_xchacha20poly1305_STATEBYTES);
  private readonly carry = Buffer.alloc(PLAIN_CHUNK);
  private carried = 0;
  readonly header = Buffer.alloc(HEADER);

  constructor(key: EncryptionKey) {
    sodium.crypto_secretstream_xchacha20poly1305_init_push(this.state, this.header, key.bytes());
  }

  /** The stored chunks this piece completes (possibly none). */
  update(piece: Buffer): Buffer {
    // Fill the carry first; then whole chunks straight from the input; keep the rest.
    const full = Math.floor((this.carried + piece.length) / PLAIN_CHUNK);
    if (full === 0) {
      piece.copy(this.carry, this.carried);
      this.carried += piece.length;
      return Buffer.alloc(0);
    }
    const out = Buffer.allocUnsafe(full * CIPHER_CHUNK);
    let offset = 0;
    let at = 0;
    if (this.carried > 0) {
      offset = PLAIN_CHUNK - this.carried;
      piece.copy(this.carry, this.carried, 0, offset);
      at += sodium.crypto_secretstream_xchacha20poly1305_push(this.state, out.subarray(at, at + CIPHER_CHUNK), this.carry, null, TAG_MESSAGE);
      this.carried = 0;
    }
    while (piece.length - offset >= PLAIN_CHUNK) {
      at += sodium.crypto_secretstream_xchacha20poly1305_push(this.state, out.subarray(at, at + CIPHER_CHUNK), piece.subarray(offset, offset + PLAIN_CHUNK), null, TAG_MESSAGE);
      offset += PLAIN_CHUNK;
    }
    piece.copy(this.carry, 0, offset);
    this.carried = piece.length - offset;
    return out;
  }

  /** The final chunk: what is left, tagged as the end. */
  final(): Buffer {
    const out = Buffer.allocUnsafe(this.carried + OVERHEAD);
    sodium.crypto_secretstream_xchacha20poly1305_push(this.state, out, this.carry.subarray(0, this.carried), null, TAG_FINAL);
    this.carried = 0;
    return out;
  }
}

/**
 * Decrypts an object written by Encrypter (or by WAL-G's libsodium mode) given in pieces. `what`
 * names the object in errors. A chunk that does not authenticate, a missing final chunk or bytes
 * after it are an IntegrityError, raised before the failing chunk's bytes are given out.
 */
export class Decrypter {
  private readonly state = Buffer.alloc(sodium.crypto_secretstream_xchacha20poly1305_STATEBYTES);
  private readonly tag = Buffer.alloc(1);
  /** the header, then a partial chunk, waiting for the rest */
  private readonly carry = Buffer.alloc(CIPHER_CHUNK);
  private carried = 0;
  private started = false;
  private finished = false;
  private chunks = 0;

  constructor(
    private readonly key: EncryptionKey,
    private readonly what: string,
  ) {}

  private fail(problem: string): IntegrityError {
    return new IntegrityError(`${this.what} cannot be decrypted: ${problem}`, {
      hint: `the object is damaged, or was not encrypted with key ${this.key.id}; use another backup or the right key`,
    });
  }

  /** Decrypts one whole stored chunk into `out` at `at`; the plaintext bytes written. */
  private pull(cipher: Buffer, out: Buffer, at: number): number {
    if (this.finished) throw this.fail(`bytes follow its final chunk (chunk ${this.chunks})`);
    const plain = out.subarray(at, at + cipher.length - OVERHEAD);
    try {
      sodium.crypto_secretstream_xchacha20poly1305_pull(this.state, plain, this.tag, cipher, null);
    } catch {
      throw this.fail(`chunk ${this.chunks + 1} does not authenticate`);
    }
    this.chunks++;
    if (this.tag[0] === TAG_FINAL) this.finished = true;
    else if (this.tag[0] !== TAG_MESSAGE) throw this.fail(`chunk ${this.chunks} has tag ${this.tag[0]}, which neither pgward nor WAL-G writes`);
    return plain.length;
  }

  /** The plaintext of the stored chunks this piece completes (possibly none). */
  update(piece: Buffer): Buffer {
    let offset = 0;
    if (!this.started) {
      const take = Math.min(HEADER - this.carried, piece.length);
      piece.copy(this.carry, this.carried, 0, take);
      this.carried += take;
      offset = take;
      if (this.carried < HEADER) return Buffer.alloc(0);
      try {
        sodium.crypto_secretstream_xchacha20poly1305_init_pull(this.state, this.carry.subarray(0, HEADER), this.key.bytes());
      } catch {
        throw this.fail('its header is not valid');
      }
      this.started = true;
      this.carried = 0;
    }
    if (this.finished && piece.length > offset) throw this.fail(`bytes follow its final chunk (chunk ${this.chunks})`);
    // Whole stored chunks (with the carried part) are decrypted now; a partial one waits. The final
    // chunk is shorter than a whole one, so it is only known at the end.
    const whole = Math.floor((this.carried + piece.length - offset) / CIPHER_CHUNK);
    if (whole === 0) {
      piece.copy(this.carry, this.carried, offset);
      this.carried += piece.length - offset;
      return Buffer.alloc(0);
    }
    const out = Buffer.allocUnsafe(whole * PLAIN_CHUNK);
    let at = 0;
    if (this.carried > 0) {
      const take = CIPHER_CHUNK - this.carried;
      piece.copy(this.carry, this.carried, offset, offset + take);
      offset += take;
      this.carried = 0;
      at += this.pull(this.carry, out, at);
    }
    while (piece.length - offset >= CIPHER_CHUNK) {
      at += this.pull(piece.subarray(offset, offset + CIPHER_CHUNK), out, at);
      offset += CIPHER_CHUNK;
    }
    piece.copy(this.carry, 0, offset);
    this.carried = piece.length - offset;
    return out.subarray(0, at);
  }

  /** The end of the stored bytes: the final chunk's plaintext; throws if the object is incomplete. */
  final(): Buffer {
    if (!this.started) throw this.fail(`it is ${this.carried} bytes, shorter than its header`);
    if (this.carried > 0) {
      if (this.carried < OVERHEAD) throw this.fail(`it ends inside a chunk (${this.carried} bytes)`);
      const out = Buffer.allocUnsafe(this.carried - OVERHEAD);
      this.pull(this.carry.subarray(0, this.carried), out, 0);
      this.carried = 0;
      if (!this.finished) throw this.fail('its last chunk is not its final one: the object was cut short');
      return out;
    }
    if (!this.finished) throw this.fail(`it ends after chunk ${this.chunks} without its final chunk: the object was cut short`);
    return Buffer.alloc(0);
  }
}

/** Encryption as a stream stage (after compression, before storage). */
export class EncryptStream extends Transform {
  private readonly encrypter: Encrypter;

  constructor(key: EncryptionKey) {
    super();
    this.encrypter = new Encrypter(key);
    this.push(this.encrypter.header);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const out = this.encrypter.update(chunk);
    done(null, out.length ? out : undefined);
  }

  override _flush(done: TransformCallback): void {
    done(null, this.encrypter.final());
  }
}

/** Decryption as a stream stage (after storage, before decompression). */
export class DecryptStream extends Transform {
  private readonly decrypter: Decrypter;

  constructor(key: EncryptionKey, what: string) {
    super();
    this.decrypter = new Decrypter(key, what);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    try {
      const out = this.decrypter.update(chunk);
      done(null, out.length ? out : undefined);
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      const out = this.decrypter.final();
      done(null, out.length ? out : undefined);
    } catch (err) {
      done(err as Error);
    }
  }
}

/** A whole small object (a manifest, a label, a WAL segment in memory), encrypted. */
export function encryptBuffer(plain: Buffer, key: EncryptionKey): Buffer {
  const encrypter = new Encrypter(key);
  return Buffer.concat([encrypter.header, encrypter.update(plain), encrypter.final()]);
}

/** A whole small stored object, decrypted; an IntegrityError naming `what` if it does not decrypt. */
export function decryptBuffer(stored: Buffer, key: EncryptionKey, what: string): Buffer {
  const decrypter = new Decrypter(key, what);
  const body = decrypter.update(stored);
  return Buffer.concat([body, decrypter.final()]);
}

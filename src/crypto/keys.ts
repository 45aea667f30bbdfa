// Encryption keys: 32 bytes, given as hex or base64 in PGWARD_ENCRYPTION_KEY or in a file named by
// PGWARD_ENCRYPTION_KEY_FILE that only its owner can read. A key is known by its identifier, a
// fingerprint that can be printed, stored in object metadata and in the repository stamp: it names
// the key without revealing it. The key's bytes never reach a message, a log or a written file.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { inspect } from 'node:util';
import { ConfigError } from '../errors/errors.js';

export const KEY_BYTES = 32;

/** A key that refuses to be printed; only `bytes()` gives its value, to the cipher. */
export class EncryptionKey {
  readonly #bytes: Buffer;
  /** the key's identifier: 16 hex digits of a domain-separated sha256 of the key */
  readonly id: string;

  constructor(bytes: Buffer) {
    if (bytes.length !== KEY_BYTES) throw new Error(`an encryption key is ${KEY_BYTES} bytes, not ${bytes.length}`);
    this.#bytes = Buffer.from(bytes);
    this.id = keyId(this.#bytes);
  }

  bytes(): Buffer {
    return this.#bytes;
  }

  toString(): string {
    return `[encryption key ${this.id}]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/**
 * The identifier of a key. Domain-separated, so that it is not the sha256 of the key someone may
 * have computed elsewhere, and short: 64 bits tell a handful of keys apart and give an attacker
 * nothing (the key has 256).
 */
function keyId(bytes: Buffer): string {
  return createHash('sha256').update('pgward encryption key identifier\0').update(bytes).digest('hex').slice(0, 16);
}

/**
 * A key from its text: 64 hex digits or base64 of 32 bytes (surrounding whitespace ignored).
 * `source` names where it came from in the error ("PGWARD_ENCRYPTION_KEY"); the text never appears.
 */
export function parseKey(text: string, source: string): EncryptionKey {
  const trimmed = text.trim();
  const hint = 'give 32 random bytes as 64 hex digits or as base64, e.g. the output of: openssl rand -hex 32';
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return new EncryptionKey(Buffer.from(trimmed, 'hex'));
  if (/^[A-Za-z0-9+/]{43}=?$/.test(trimmed) || /^[A-Za-z0-9_-]{43}=?$/.test(trimmed)) {
    const bytes = Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64');
    if (bytes.length === KEY_BYTES) return new EncryptionKey(bytes);
  }
  throw new ConfigError(`${source} is not an encryption key: it must be ${KEY_BYTES} bytes as hex or base64 (it has ${trimmed.length} characters)`, { hint });
}

/**
 * A key from a file: a regular file owned by the user pgward runs as (or root), that no one else
 * can read or write; its content is the key as text.
 */
export function readKeyFile(path: string, source: string): EncryptionKey {
  let info;
  try {
    info = statSync(path);
  } catch (err) {
    throw new ConfigError(`${source} ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      hint: 'check the path; the file must exist and be readable by the user pgward runs as',
      cause: err,
    });
  }
  if (!info.isFile()) throw new ConfigError(`${source} ${path} is not a regular file`, { hint: 'name the file that holds the key' });
  const uid = process.geteuid?.();
  if (uid !== undefined && info.uid !== uid && info.uid !== 0) {
    throw new ConfigError(`${source} ${path} belongs to uid ${info.uid}, not to the user pgward runs as (uid ${uid}) or root`, {
      hint: `chown the key file to the user that runs pgward (e.g. chown postgres: ${path}) and chmod 600 it`,
    });
  }
  if ((info.mode & 0o077) !== 0) {
    throw new ConfigError(`${source} ${path} can be read or written by others (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')})`, {
      hint: `chmod 600 ${path}, and consider the key exposed if others could read it`,
    });
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${source} ${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, {
      hint: 'the file must be readable by the user pgward runs as',
      cause: err,
    });
  }
  return parseKey(text, `${source} ${path}`);
}

/** The keys pgward may read with: the one it writes with first, then older ones (a rotation), by identifier. */
export class KeyRing {
  private readonly byId = new Map<string, EncryptionKey>();

  constructor(
    readonly current: EncryptionKey,
    older: EncryptionKey[] = [],
  ) {
    for (const key of [current, ...older]) if (!this.byId.has(key.id)) this.byId.set(key.id, key);
  }

  /** The key with this identifier, if the ring has it. */
  find(id: string): EncryptionKey | undefined {
    return this.byId.get(id);
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }
}

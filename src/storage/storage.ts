// The storage interface: objects under keys relative to the repository root. It knows objects and
// prefixes only; nothing about clusters, WAL or backups (repo/ builds every key).
import type { Readable } from 'node:stream';
import { IntegrityError, StorageError } from '../errors/errors.js';

export type Metadata = Record<string, string>;

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified?: Date;
  /** user metadata; filled by head(), not by list() */
  metadata?: Metadata;
  /** the store's version tag of these bytes (S3 ETag; filesystem: inode, size and mtime), from head() */
  etag?: string;
}

export interface PutOptions {
  /** keys lowercase [a-z0-9-], values printable ASCII: the subset every S3-compatible store keeps */
  metadata?: Metadata;
}

export interface CreateOptions extends PutOptions {
  /**
   * The caller has just listed or HEADed the key and found nothing (wal-push lists every ending of a
   * segment first): the store's own HEAD before the conditional PUT would ask the same question again.
   */
  checkedAbsent?: boolean;
}

export type CreateResult = 'created' | 'exists';
/** 'changed': the object was no longer the one named by the tag (rewritten or deleted meanwhile) */
export type ReplaceResult = 'replaced' | 'changed';

/**
 * A write that never finished and left something stored: the hidden temporary file of an interrupted
 * filesystem put, or an incomplete S3 multipart upload (whose parts are billed until it is aborted).
 */
export interface IncompleteWrite {
  /** the object key the write was for */
  key: string;
  /** when the write last made progress (filesystem: modification time) or began (S3: initiated) */
  since: Date;
  /** bytes held, where the store tells */
  size?: number;
  /** what removeIncomplete needs to find it again (temporary file name, upload id) */
  id: string;
}

export interface Storage {
  /** where this storage points, for messages: s3://bucket/prefix or file:///path (no credentials) */
  readonly location: string;
  /** Store a buffer or a stream, replacing any object of that key. Resolves once durably stored. */
  put(key: string, body: Buffer | Readable, options?: PutOptions): Promise<void>;
  /**
   * Store only if no object has the key. Atomic on the filesystem and on S3 stores that honour
   * If-None-Match; on stores that ignore it, a head check narrows but cannot close the race.
   */
  putIfAbsent(key: string, body: Buffer, options?: CreateOptions): Promise<CreateResult>;
  /**
   * Overwrite the object only while it is still the version head() tagged `etag`: the repair of a
   * damaged object must not overwrite a good copy another writer stored meanwhile. Atomic on stores
   * that honour If-Match on PUT; on those that ignore it, it is a plain overwrite.
   */
  replace(key: string, body: Buffer, etag: string, options?: PutOptions): Promise<ReplaceResult>;
  /** The object's bytes as a stream, or undefined when there is no such object. */
  get(key: string): Promise<Readable | undefined>;
  head(key: string): Promise<ObjectInfo | undefined>;
  /** Every object whose key starts with prefix, in key order, across as many pages as it takes. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** Delete the keys; a key that does not exist is not an error. */
  deleteMany(keys: readonly string[]): Promise<void>;
  /** Every incomplete write under the repository, or undefined when the store cannot list them. */
  listIncomplete(): Promise<IncompleteWrite[] | undefined>;
  /** Remove these incomplete writes (one that is already gone is not an error). */
  removeIncomplete(writes: readonly IncompleteWrite[]): Promise<void>;
  close(): void;
}

const METADATA_KEY = /^[a-z0-9][a-z0-9-]*$/;

export function validateMetadata(metadata: Metadata | undefined): void {
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (!METADATA_KEY.test(key) || !/^[\x20-\x7e]*$/.test(value)) {
      throw new TypeError(`metadata ${JSON.stringify(key)} must be lowercase [a-z0-9-] with a printable ASCII value`);
    }
  }
}

export function validateKey(key: string): void {
  if (key === '' || key.startsWith('/') || key.split('/').some((part) => part === '' || part === '.' || part === '..' || part.startsWith('.'))) {
    throw new TypeError(`invalid object key ${JSON.stringify(key)}`);
  }
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * get() into memory, for small objects (stamps, sentinels, manifests). A read that breaks on the way
 * is tried once more: one reset answer should not fail a command.
 */
export async function getBuffer(storage: Storage, key: string): Promise<Buffer | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      const stream = await storage.get(key);
      return stream ? await readAll(stream) : undefined;
    } catch (err) {
      if (attempt >= 2 || !(err instanceof StorageError)) throw err;
    }
  }
}

/**
 * A small object read and parsed. Bytes garbled or cut short on the network look exactly like a
 * damaged object, so a parse failure (an IntegrityError from `parse`) is read once more before the
 * object is called damaged.
 */
export async function getParsed<T>(storage: Storage, key: string, parse: (body: Buffer) => T): Promise<T | undefined> {
  for (let attempt = 1; ; attempt++) {
    const body = await getBuffer(storage, key);
    if (body === undefined) return undefined;
    try {
      return parse(body);
    } catch (err) {
      if (attempt >= 2 || !(err instanceof IntegrityError)) throw err;
    }
  }
}

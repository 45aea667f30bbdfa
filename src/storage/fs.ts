// Filesystem storage: one file per object under a root folder, written atomically and durably
// (fs-durable.ts). Object bytes are stored as they are, so a WAL object can be read with `lz4 -d`.
// User metadata lives in a hidden sidecar `.<name>.meta.json`; dot-files are never listed as objects.
import { link, readdir, readFile, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { createReadStream, type Dirent } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import type { Readable } from 'node:stream';
import { ensureDir, fsyncPath, targetOfTempName, writeDurableTemp, type Owner } from './fs-durable.js';
import { StorageError } from '../errors/errors.js';
import { validateKey, validateMetadata, type CreateOptions, type CreateResult, type IncompleteWrite, type Metadata, type ObjectInfo, type PutOptions, type ReplaceResult, type Storage } from './storage.js';

/** A file's version tag: a rename of a new file over it changes the inode, a rewrite the mtime. */
function etagOf(info: { ino: number; size: number; mtimeMs: number }): string {
  return `${info.ino}-${info.size}-${info.mtimeMs}`;
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR';
}

export class FsStorage implements Storage {
  readonly location: string;
  private owner?: Promise<Owner | undefined>;

  constructor(private readonly root: string) {
    this.location = `file://${root}`;
  }

  /**
   * Run as root, new files and folders get the owner of the repository's root folder (or of its
   * nearest existing parent when the repository is new): otherwise a backup-push run by root would
   * leave folders PostgreSQL's archive_command (as postgres) cannot write to.
   */
  private ownerOfRoot(): Promise<Owner | undefined> {
    if (process.getuid?.() !== 0) return Promise.resolve(undefined);
    const find = async (): Promise<Owner | undefined> => {
      for (let dir = this.root; ; dir = dirname(dir)) {
        const info = await stat(dir).catch(() => undefined);
        if (info) return info.uid === 0 ? undefined : { uid: info.uid, gid: info.gid };
        if (dir === dirname(dir)) return undefined;
      }
    };
    return (this.owner ??= find());
  }

  private pathOf(key: string): string {
    validateKey(key);
    return join(this.root, key);
  }

  private metaPathOf(path: string): string {
    return join(dirname(path), `.${basename(path)}.meta.json`);
  }

  private fail(action: string, key: string, err: unknown): StorageError {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    const hint =
      code === 'EACCES' || code === 'EPERM'
        ? `run pgward as a user who may write ${this.root}, or fix its ownership`
        : code === 'ENOSPC'
          ? `free space on the filesystem holding ${this.root}`
          : `check the repository folder ${this.root}`;
    return new StorageError(`cannot ${action} ${this.location}/${key}: ${code}`, { hint, cause: err });
  }

  private async writeMeta(path: string, metadata: Metadata | undefined): Promise<void> {
    const metaPath = this.metaPathOf(path);
    if (!metadata || Object.keys(metadata).length === 0) {
      await rm(metaPath, { force: true });
      return;
    }
    const temp = await writeDurableTemp(metaPath, Buffer.from(JSON.stringify(metadata)), await this.ownerOfRoot());
    await rename(temp, metaPath);
  }

  async put(key: string, body: Buffer | Readable, options: PutOptions = {}): Promise<void> {
    validateMetadata(options.metadata);
    const path = this.pathOf(key);
    try {
      const owner = await this.ownerOfRoot();
      await ensureDir(dirname(path), owner);
      const temp = await writeDurableTemp(path, body, owner);
      await rename(temp, path);
      await this.writeMeta(path, options.metadata);
      await fsyncPath(dirname(path));
    } catch (err) {
      throw this.fail('write', key, err);
    }
  }

  async putIfAbsent(key: string, body: Buffer, options: CreateOptions = {}): Promise<CreateResult> {
    validateMetadata(options.metadata);
    const path = this.pathOf(key);
    let temp: string | undefined;
    try {
      const owner = await this.ownerOfRoot();
      await ensureDir(dirname(path), owner);
      temp = await writeDurableTemp(path, body, owner);
      // link() fails with EEXIST when the name is taken: the create-if-absent is atomic.
      try {
        await link(temp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return 'exists';
        throw err;
      }
      await this.writeMeta(path, options.metadata);
      await fsyncPath(dirname(path));
      return 'created';
    } catch (err) {
      throw this.fail('create', key, err);
    } finally {
      if (temp) await unlink(temp).catch(() => undefined);
    }
  }

  async replace(key: string, body: Buffer, etag: string, options: PutOptions = {}): Promise<ReplaceResult> {
    validateMetadata(options.metadata);
    const path = this.pathOf(key);
    let temp: string | undefined;
    try {
      const owner = await this.ownerOfRoot();
      temp = await writeDurableTemp(path, body, owner);
      // Checked after the slow write, just before the rename: the window left is a stat and a rename.
      const current = await stat(path).catch((err: unknown) => (isMissing(err) ? undefined : Promise.reject(err)));
      if (!current || etagOf(current) !== etag) return 'changed';
      await rename(temp, path);
      temp = undefined;
      await this.writeMeta(path, options.metadata);
      await fsyncPath(dirname(path));
      return 'replaced';
    } catch (err) {
      throw this.fail('replace', key, err);
    } finally {
      if (temp) await unlink(temp).catch(() => undefined);
    }
  }

  async get(key: string): Promise<Readable | undefined> {
    const path = this.pathOf(key);
    // 1 MiB reads: restores stream whole partitions through here.
    const stream = createReadStream(path, { highWaterMark: 1024 * 1024 });
    return new Promise((resolve, reject) => {
      stream.once('open', () => resolve(stream));
      stream.once('error', (err) => (isMissing(err) ? resolve(undefined) : reject(this.fail('read', key, err))));
    });
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const path = this.pathOf(key);
    try {
      const info = await stat(path);
      if (!info.isFile()) return undefined;
      let metadata: Metadata = {};
      try {
        metadata = JSON.parse(await readFile(this.metaPathOf(path), 'utf8')) as Metadata;
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
      return { key, size: info.size, lastModified: info.mtime, metadata, etag: etagOf(info) };
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw this.fail('stat', key, err);
    }
  }

  /** A folder's entries for the walks below; a folder that does not exist holds nothing. */
  private async readFolder(relDir: string): Promise<Dirent[]> {
    try {
      return await readdir(join(this.root, relDir), { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return [];
      throw this.fail('list', relDir || '.', err);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const found: ObjectInfo[] = [];
    // Only the folders that can hold matching keys are walked.
    const slash = prefix.lastIndexOf('/');
    const startDir = slash >= 0 ? prefix.slice(0, slash) : '';
    const walk = async (relDir: string): Promise<void> => {
      const entries = await this.readFolder(relDir);
      for (const entry of entries) {
        if (entry.name.startsWith('.')) continue;
        const key = relDir ? `${relDir}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
          if (prefix.startsWith(`${key}/`) || key.startsWith(prefix)) await walk(key);
        } else if (entry.isFile() && key.startsWith(prefix)) {
          const info = await stat(join(this.root, key)).catch(() => undefined);
          if (info) found.push({ key, size: info.size, lastModified: info.mtime });
        }
      }
    };
    await walk(startDir);
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* found;
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    const dirs = new Set<string>();
    for (const key of keys) {
      const path = this.pathOf(key);
      try {
        await rm(path, { force: true });
        await rm(this.metaPathOf(path), { force: true });
        dirs.add(dirname(path));
      } catch (err) {
        throw this.fail('delete', key, err);
      }
    }
    // Folders left empty go too (an object store has no empty folders), up to the repository root.
    for (const start of [...dirs].sort((a, b) => b.length - a.length)) {
      for (let dir = start; dir.startsWith(`${this.root}/`); dir = dirname(dir)) {
        try {
          await rmdir(dir);
        } catch {
          break;
        }
      }
    }
    for (const dir of dirs) await fsyncPath(dir).catch(() => undefined);
  }

  /** The hidden temporary files (`.<name>.tmp-<hex>`) a killed writer left behind, in any folder. */
  async listIncomplete(): Promise<IncompleteWrite[]> {
    const found: IncompleteWrite[] = [];
    const walk = async (relDir: string): Promise<void> => {
      const entries = await this.readFolder(relDir);
      for (const entry of entries) {
        const rel = relDir ? `${relDir}/${entry.name}` : entry.name;
        if (entry.isDirectory() && !entry.name.startsWith('.')) await walk(rel);
        const target = entry.isFile() ? targetOfTempName(entry.name) : undefined;
        if (target === undefined) continue;
        const info = await stat(join(this.root, rel)).catch(() => undefined);
        if (info) found.push({ key: relDir ? `${relDir}/${target}` : target, since: info.mtime, size: info.size, id: rel });
      }
    };
    await walk('');
    return found.sort((a, b) => a.since.getTime() - b.since.getTime());
  }

  async removeIncomplete(writes: readonly IncompleteWrite[]): Promise<void> {
    for (const write of writes) {
      // Only ever a temporary file inside the repository, whatever the caller passes.
      if (targetOfTempName(basename(write.id)) === undefined || write.id.split('/').some((part) => part === '..' || part === '')) {
        throw new TypeError(`${JSON.stringify(write.id)} is not a temporary file of this repository`);
      }
      await rm(join(this.root, write.id), { force: true }).catch((err: unknown) => {
        throw this.fail('remove', write.id, err);
      });
    }
  }

  close(): void {}
}

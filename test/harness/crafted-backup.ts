// Hostile backups in a filesystem repository, as an attacker with write access to the repository
// would make them: a real backup taken by backup-push is the base (its stamp, backup_label and
// sentinel), and a crafted one is written beside it under a new name with its own tar partition
// (tar-stream, compressed with pgward's codec), manifest and sentinel made to match, or tampered.
// A snapshot of a folder (types, modes, owners, sizes, contents, link targets) shows whether anything
// outside a restore target changed.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { compressionStream } from '../../src/codec/streams.js';
import { EXTENSIONS, type WriteMethod } from '../../src/codec/compression.js';
import { backupObjectKey, partitionKey, sentinelKey } from '../../src/repo/layout.js';
import type { BackupManifest, BackupSentinel, ManifestFile } from '../../src/backup/manifest.js';

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export function readJson<T>(repo: string, key: string): T {
  return JSON.parse(readFileSync(join(repo, key), 'utf8')) as T;
}

function writeObject(repo: string, key: string, body: Buffer | string): void {
  mkdirSync(dirname(join(repo, key)), { recursive: true });
  writeFileSync(join(repo, key), body);
}

export async function compressedTar(entries: TarEntry[], method: WriteMethod): Promise<Buffer> {
  const pack = tar.pack();
  for (const entry of entries) {
    const type = entry.type ?? 'file';
    const body = type === 'file' ? Buffer.from(entry.content ?? '') : undefined;
    const header = { name: entry.name, type, mode: entry.mode ?? (type === 'directory' ? 0o700 : 0o600), linkname: entry.linkname, mtime: new Date(), size: body?.length ?? 0 };
    await new Promise<void>((resolve, reject) => pack.entry(header as tar.Header, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  await pipeline(
    pack as unknown as Readable,
    compressionStream(method),
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(chunks);
}

export interface CraftOptions {
  /** the real backup whose sentinel and backup_label are reused */
  base: string;
  name: string;
  entries: TarEntry[];
  method?: WriteMethod;
  /** the manifest lists the tar's file entries; change it here */
  manifest?: (manifest: BackupManifest) => void;
  sentinel?: (sentinel: BackupSentinel) => void;
}

/** Writes a complete-looking backup `name` whose one partition holds `entries`. */
export async function craftBackup(repo: string, options: CraftOptions): Promise<void> {
  const method = options.method ?? 'gzip';
  const stored = await compressedTar(options.entries, method);
  const key = partitionKey(options.name, 1, EXTENSIONS[method]);
  const files: ManifestFile[] = options.entries
    .filter((e) => (e.type ?? 'file') === 'file')
    .map((e) => {
      const body = Buffer.from(e.content ?? '');
      return { name: e.name, size: body.length, sha256: sha256(body), partition: 1, mode: e.mode ?? 0o600, mtime: new Date().toISOString() };
    });
  const manifest: BackupManifest = {
    format: 'pgward-manifest/1',
    name: options.name,
    compression: method,
    files,
    directories: [],
    symlinks: [],
    tablespaces: [],
    partitions: [{ number: 1, key, rawSize: 0, storedSize: stored.length, storedSha256: sha256(stored), files: files.length }],
  };
  options.manifest?.(manifest);
  const sentinel = { ...readJson<BackupSentinel>(repo, sentinelKey(options.base)), name: options.name, tablespaces: [] };
  options.sentinel?.(sentinel);
  writeObject(repo, key, stored);
  writeObject(repo, backupObjectKey(options.name, 'backup_label'), readFileSync(join(repo, backupObjectKey(options.base, 'backup_label'))));
  writeObject(repo, backupObjectKey(options.name, 'manifest.json'), JSON.stringify(manifest));
  writeObject(repo, sentinelKey(options.name), JSON.stringify(sentinel));
}

/** A copy of real backup `base` under `name`, with its manifest or sentinel (or raw bytes) changed. */
export function cloneBackup(
  repo: string,
  base: string,
  name: string,
  change: { manifest?: (m: BackupManifest) => void; sentinel?: (s: BackupSentinel) => void; manifestBytes?: (text: string) => string; sentinelBytes?: (text: string) => string } = {},
): void {
  const manifest = readJson<BackupManifest>(repo, backupObjectKey(base, 'manifest.json'));
  for (const p of manifest.partitions) {
    const key = p.key.replace(`/${base}/`, `/${name}/`);
    writeObject(repo, key, readFileSync(join(repo, p.key)));
    p.key = key;
  }
  manifest.name = name;
  change.manifest?.(manifest);
  const sentinel = { ...readJson<BackupSentinel>(repo, sentinelKey(base)), name };
  change.sentinel?.(sentinel);
  for (const file of ['backup_label', 'tablespace_map'] as const) {
    const from = join(repo, backupObjectKey(base, file));
    if (lstatSync(from, { throwIfNoEntry: false })) writeObject(repo, backupObjectKey(name, file), readFileSync(from));
  }
  const manifestText = JSON.stringify(manifest);
  const sentinelText = JSON.stringify(sentinel);
  writeObject(repo, backupObjectKey(name, 'manifest.json'), change.manifestBytes ? change.manifestBytes(manifestText) : manifestText);
  writeObject(repo, sentinelKey(name), change.sentinelBytes ? change.sentinelBytes(sentinelText) : sentinelText);
}

/** Every path under `root` with its type, mode, owner, size, content digest or link target. */
export function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const info = lstatSync(path);
      const common = `${path} mode=${(info.mode & 0o7777).toString(8)} uid=${info.uid} gid=${info.gid}`;
      if (info.isSymbolicLink()) out.push(`${common} link -> ${readlinkSync(path)}`);
      else if (info.isDirectory()) {
        out.push(`${common} dir`);
        walk(path);
      } else if (info.isFile()) out.push(`${common} file ${info.size} ${sha256(readFileSync(path))}`);
      else out.push(`${common} special`);
    }
  };
  walk(root);
  return out;
}

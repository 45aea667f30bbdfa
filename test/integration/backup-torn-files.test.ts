// Files that change while backup-push copies them, on a real filesystem repository, decoded by the
// real lz4 and tar programs. The change is made from the copy's own progress callback, so it lands
// mid-file; the chunk after the current one may already be read ahead, so each case asserts only
// what holds either way: the tar entry keeps the size seen at opening, bytes the file no longer has
// are zeros, and the manifest's sha256 is that of the bytes the tar holds.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { PartitionWriter } from '../../src/backup/tar-partitions.js';
import type { ManifestFile } from '../../src/backup/manifest.js';
import type { BackupEntry } from '../../src/backup/walk.js';
import { FsStorage } from '../../src/storage/fs.js';
import { TEST_ROOT } from '../harness/paths.js';

const MiB = 1024 * 1024;
let root: string;

beforeAll(() => {
  mkdirSync(TEST_ROOT, { recursive: true });
  root = mkdtempSync(join(TEST_ROOT, 'torn-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Backs up the files, calling `during` once after the first MiB of `changing` is read; returns the manifest rows and the extracted folder. */
async function backUp(names: string[], changing: string, during: () => void): Promise<{ files: ManifestFile[]; extracted: string }> {
  const data = join(root, `data-${changing}`);
  const repo = join(root, `repo-${changing}`);
  const entries: BackupEntry[] = names.map((name) => {
    const path = join(data, name);
    const info = statSync(path);
    return { name, path, type: 'file', size: info.size, mode: 0o600, mtime: info.mtime };
  });
  let copied = 0;
  let changed = false;
  const writer = new PartitionWriter({
    storage: new FsStorage(repo),
    backupName: 'base_torn',
    compression: 'lz4',
    partitionSize: 1024 * MiB,
    onBytes: (bytes) => {
      copied += bytes;
      if (!changed && copied >= MiB) {
        changed = true;
        during();
      }
    },
  });
  const files: ManifestFile[] = [];
  for (const entry of entries) {
    const file = await writer.add(entry);
    if (file) files.push(file);
  }
  const [partition] = await writer.finish();
  const extracted = join(root, `out-${changing}`);
  mkdirSync(extracted);
  await execa('bash', ['-c', `lz4 -d -c -q '${join(repo, partition!.key)}' | tar -x -C '${extracted}'`]);
  return { files, extracted };
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

describe('files that change during backup-push', () => {
  test('a file that shrinks mid-copy keeps its size, padded with zeros; a file that vanishes before its turn is left out', async () => {
    const data = join(root, 'data-shrinks');
    mkdirSync(data);
    const original = randomBytes(4 * MiB);
    writeFileSync(join(data, 'shrinks'), original);
    writeFileSync(join(data, 'vanishes'), randomBytes(1000));
    const { files, extracted } = await backUp(['shrinks', 'vanishes'], 'shrinks', () => {
      truncateSync(join(data, 'shrinks'), 100);
      rmSync(join(data, 'vanishes'));
    });
    expect(files.map((f) => f.name)).toEqual(['shrinks']);
    const restored = readFileSync(join(extracted, 'shrinks'));
    expect(restored.length).toBe(4 * MiB);
    expect(restored.subarray(0, MiB).equals(original.subarray(0, MiB))).toBe(true);
    // The second MiB may have been read ahead before the truncation; everything after it is gone.
    expect(restored.subarray(2 * MiB).equals(Buffer.alloc(2 * MiB))).toBe(true);
    expect(files[0]).toMatchObject({ size: 4 * MiB, sha256: sha256(restored) });
  });

  test('a file that grows mid-copy is cut at the size it had when opened', async () => {
    const data = join(root, 'data-grows');
    mkdirSync(data);
    const original = randomBytes(3 * MiB + 5);
    writeFileSync(join(data, 'grows'), original);
    const { files, extracted } = await backUp(['grows'], 'grows', () => appendFileSync(join(data, 'grows'), randomBytes(2 * MiB)));
    const restored = readFileSync(join(extracted, 'grows'));
    expect(restored.equals(original)).toBe(true);
    expect(files[0]).toMatchObject({ size: original.length, sha256: sha256(original) });
  });
});

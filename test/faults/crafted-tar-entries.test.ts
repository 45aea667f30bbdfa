// Crafted tar entries in a filesystem repository (issue 9, item 1): names with `..` or absolute paths,
// symbolic links (a chain of them, then a directory entry or a file written through one), hard links,
// devices and FIFOs. Each is refused with exit 8 naming the entry, or contained: nothing outside the
// restore target changes (a snapshot of the folder around it is equal before and after) and the
// target is removed again. Table-driven; every case is one backup-fetch, bounded by runPgward.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, pushBackup, writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { craftBackup, snapshot, type TarEntry } from '../harness/crafted-backup.js';
import { expectCleanError } from '../harness/expect-error.js';
import { TEST_ROOT } from '../harness/paths.js';
import { isPlainRelativePath } from '../../src/backup/record-check.js';
import type { BackupManifest } from '../../src/backup/manifest.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let source: TestCluster;
let repo: string;
let configFile: string;
let base: string;

beforeAll(async () => {
  repo = join(postgresOwnedDir('crafted-tar-'), 'repo');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_BACKUP_WAL_TIMEOUT: '60' });
  source = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  base = await pushBackup(source, configFile);
}, 120_000);

afterAll(async () => {
  await source?.destroy();
});

/** A folder holding the (absent) target and, beside it, `outside/` with a file and a 0755 folder. */
function sandbox(): { dir: string; target: string; outside: string } {
  const dir = mkdtempSync(join(TEST_ROOT, 'sandbox-'));
  const outside = join(dir, 'outside');
  mkdirSync(join(outside, 'dir'), { recursive: true });
  chmodSync(join(outside, 'dir'), 0o755);
  writeFileSync(join(outside, 'victim'), 'original\n');
  return { dir, target: join(dir, 'target'), outside };
}

const PG_VERSION: TarEntry = { name: 'PG_VERSION', content: '15\n' };

const CASES: Array<{ what: string; entries: (outside: string) => TarEntry[]; entry: RegExp }> = [
  { what: 'a name climbing out with ..', entries: () => [PG_VERSION, { name: '../outside/victim', content: 'pwned\n' }], entry: /backup entry "\.\.\/outside\/victim" would be written outside/ },
  { what: 'a name climbing out in the middle', entries: () => [{ name: 'base/../../outside/new', content: 'pwned\n' }], entry: /backup entry "base\/\.\.\/\.\.\/outside\/new" would be written outside/ },
  { what: 'an absolute name', entries: (outside) => [{ name: `${outside}/new`, content: 'pwned\n' }], entry: /backup entry "\/\S+\/outside\/new" would be written outside/ },
  {
    what: 'a chain of links, then a directory entry and a file through it',
    entries: () => [
      { name: 'a', type: 'symlink', linkname: '.' },
      { name: 'b', type: 'symlink', linkname: 'a/..' },
      { name: 'b/outside/dir', type: 'directory', mode: 0o777 },
      { name: 'b/outside/victim', content: 'pwned\n' },
    ],
    entry: /holds a symlink entry "a" -> "\."/,
  },
  { what: 'a link to a folder outside, then a file through it', entries: (outside) => [{ name: 'pg_stat', type: 'symlink', linkname: outside }, { name: 'pg_stat/new', content: 'pwned\n' }], entry: /holds a symlink entry "pg_stat" -> "\/\S+\/outside"/ },
  { what: 'a relative link out of the target', entries: () => [{ name: 'base', type: 'symlink', linkname: '../outside' }], entry: /holds a symlink entry "base" -> "\.\.\/outside"/ },
  { what: 'a link that stays inside (never created either)', entries: () => [PG_VERSION, { name: 'conf', type: 'symlink', linkname: 'PG_VERSION' }], entry: /holds a symlink entry "conf" -> "PG_VERSION"/ },
  { what: 'a hard link to a file outside', entries: (outside) => [{ name: 'hard', type: 'link', linkname: `${outside}/victim` }], entry: /holds a link entry "hard" -> "\/\S+\/outside\/victim"/ },
  { what: 'a hard link climbing out', entries: () => [{ name: 'hard', type: 'link', linkname: '../outside/victim' }], entry: /holds a link entry "hard"/ },
  { what: 'a character device', entries: () => [{ name: 'null', type: 'character-device' }], entry: /holds a character-device entry "null"/ },
  { what: 'a block device', entries: () => [{ name: 'disk', type: 'block-device' }], entry: /holds a block-device entry "disk"/ },
  { what: 'a FIFO', entries: () => [{ name: 'pipe', type: 'fifo' }], entry: /holds a fifo entry "pipe"/ },
  { what: 'a file entry twice', entries: () => [PG_VERSION, PG_VERSION], entry: /holds "PG_VERSION", which collides with an earlier entry of the backup \(EEXIST\)/ },
  { what: 'a directory entry below a file', entries: () => [PG_VERSION, { name: 'PG_VERSION/d', type: 'directory' }], entry: /holds "PG_VERSION\/d", which collides with an earlier entry of the backup \(ENOTDIR\)/ },
  { what: 'a file entry where a directory was', entries: () => [{ name: 'base', type: 'directory' }, { name: 'base', content: 'x' }], entry: /holds "base", which collides with an earlier entry of the backup \(EEXIST\)/ },
];

test('a manifest that lists a name climbing out is refused before anything is written', async () => {
  const box = sandbox();
  await craftBackup(repo, { base, name: 'crafted_tar_listed', entries: [{ name: '../outside/victim', content: 'pwned\n' }] });
  const before = snapshot(box.dir);
  const result = await runPgward(['backup-fetch', box.target, 'crafted_tar_listed', '--config', configFile]);
  expectCleanError(result, 8, /manifest\.json lists a file with an unsafe name "\.\.\/outside\/victim"/);
  expect(snapshot(box.dir)).toEqual(before);
});

describe('crafted tar entries: refused with exit 8 naming the entry, nothing outside the target changes', () => {
  test.each(CASES.map((c, i) => ({ ...c, i })))('$what', async ({ entries, entry, i }) => {
    const box = sandbox();
    const name = `crafted_tar_${i}`;
    // The manifest lists only plain names, each once, so that the tar entry itself meets the check.
    const listed = (m: BackupManifest): void => void (m.files = m.files.filter((f, n) => isPlainRelativePath(f.name) && m.files.findIndex((g) => g.name === f.name) === n));
    await craftBackup(repo, { base, name, entries: entries(box.outside), manifest: listed });
    const before = snapshot(box.dir);
    const result = await runPgward(['backup-fetch', box.target, name, '--config', configFile]);
    expectCleanError(result, 8, entry);
    expect(result.stderr).toMatch(/HINT: the backup is damaged or was not written by pgward/);
    expect(snapshot(box.dir)).toEqual(before);
    expect(existsSync(box.target)).toBe(false);
  });
});

test('contained: a directory entry with setuid and world-writable bits is created inside the target only, without the special bit', async () => {
  const box = sandbox();
  const name = 'crafted_tar_contained';
  await craftBackup(repo, { base, name, entries: [{ name: 'base', type: 'directory', mode: 0o4777 }, { name: 'base/f', content: 'inside\n' }, PG_VERSION] });
  const before = snapshot(box.dir);
  const result = await runPgward(['backup-fetch', box.target, name, '--config', configFile]);
  expect(result.exitCode).toBe(0);
  expect(statSync(join(box.target, 'base')).mode & 0o7777).toBe(0o777);
  expect(readFileSync(join(box.target, 'base', 'f'), 'utf8')).toBe('inside\n');
  expect(snapshot(box.dir).filter((line) => !line.startsWith(box.target))).toEqual(before);
});

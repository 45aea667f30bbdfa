// A restore that cannot write its target says so (issue 8, item 6): a full file system or an
// unwritable directory is exit 10 naming the target and the cause, never 8 ("the backup is damaged")
// or 70; a failed restore leaves nothing behind; a flipped byte in a stored partition is still 8.
// And as root, every directory backup-fetch creates, parents included, belongs to the owner, so the
// restored server starts as postgres.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { archiveSettings, pushBackup, writePgwardConfig } from '../harness/archiving.js';
import { runPgward, stderrJson } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { osUser } from '../harness/os-user.js';
import { TEST_ROOT } from '../harness/paths.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let source: TestCluster;
let repo: string;
let configFile: string;
let backup: string;
const mounts: string[] = [];
const copies: TestCluster[] = [];

/** A root-owned folder under this run's root, as /srv or /var/lib would be. */
function rootOwnedDir(prefix: string): string {
  const dir = mkdtempSync(join(TEST_ROOT, prefix));
  chmodSync(dir, 0o755);
  return dir;
}

beforeAll(async () => {
  repo = join(postgresOwnedDir('target-repo-'), 'repo');
  // gzip: a flipped byte then fails decoding in the middle of a file being written, the case where a
  // decode error must not be taken for a failure of the target.
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_BACKUP_WAL_TIMEOUT: '60', PGWARD_PARTITION_SIZE_MB: '8', PGWARD_COMPRESSION: 'gzip' });
  source = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  // Some 20 MB more than a fresh cluster, so that the restore cannot fit into 8 MB.
  await source.query('CREATE TABLE filler AS SELECT g, md5(g::text) AS m FROM generate_series(1, 200000) g');
  backup = await pushBackup(source, configFile);
}, 120_000);

afterAll(async () => {
  await Promise.all(copies.map((c) => c.destroy()));
  for (const dir of mounts) await execa('umount', [dir], { reject: false });
  await source?.destroy();
});

describe('a target that cannot be written', () => {
  test('a full file system (8 MB tmpfs): exit 10 naming the target and ENOSPC; nothing left', async () => {
    const mount = rootOwnedDir('tmpfs-');
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mount]);
    mounts.push(mount);
    const target = join(mount, 'data');
    const result = await runPgward(['backup-fetch', target, backup, '--config', configFile]);
    expectCleanError(result, 10, new RegExp(`cannot write ${target}/\\S+: ENOSPC \\(no space left on device\\)`));
    expect(result.stderr).toMatch(/HINT: free space on that file system or restore onto a larger one; the backup itself is intact/);
    expect(result.stderr).toMatch(new RegExp(`removed what it had written under ${target}`));
    expect(readdirSync(mount)).toEqual([]);
  }, 60_000);

  test('an existing empty target the user may not write: exit 10 before anything is read', async () => {
    const target = rootOwnedDir('unwritable-');
    const result = await runPgward(['backup-fetch', target, backup, '--config', configFile], { asUser: 'postgres' });
    expectCleanError(result, 10, new RegExp(`restore target ${target} is not writable: EACCES`));
    expect(readdirSync(target)).toEqual([]);
  });

  test('an absent target under a parent the user may not write: exit 10, not 70', async () => {
    const target = join(rootOwnedDir('unwritable-parent-'), 'data');
    const result = await runPgward(['backup-fetch', target, backup, '--config', configFile], { asUser: 'postgres' });
    expectCleanError(result, 10, new RegExp(`cannot write ${target}: EACCES \\(permission denied\\)`));
    expect(existsSync(target)).toBe(false);
  });
});

describe('backup-fetch as root', () => {
  test('missing parents are created for the owner, and the restored server starts as postgres', async () => {
    const base = rootOwnedDir('parents-');
    const target = join(base, 'a', 'b', 'c');
    const result = await runPgward(['backup-fetch', target, backup, '--config', configFile]);
    expect(result.exitCode).toBe(0);
    const postgres = osUser('postgres');
    for (const dir of [join(base, 'a'), join(base, 'a', 'b')]) {
      const info = statSync(dir);
      expect({ dir, uid: info.uid, mode: info.mode & 0o777 }).toEqual({ dir, uid: postgres.uid, mode: 0o755 });
    }
    expect(statSync(target).mode & 0o777).toBe(0o700);
    expect(statSync(base).uid).toBe(0);
    const copy = await clusterFromDataDirectory('15', target);
    copies.push(copy);
    await copy.start();
    await copy.waitPromoted();
    expect((await copy.query<{ n: string }>('SELECT count(*)::text AS n FROM filler'))[0]!.n).toBe('200000');
  }, 120_000);

  test('under an existing parent the owner cannot search: a warning naming that parent', async () => {
    const closed = rootOwnedDir('closed-');
    chmodSync(closed, 0o700);
    const target = join(closed, 'data');
    const result = await runPgward(['backup-fetch', target, backup, '--config', configFile]);
    expect(result.exitCode).toBe(0);
    expect(stderrJson(result).find((line) => line.parent === closed)).toMatchObject({ level: 40, path: target, mode: '0700' });
  }, 60_000);
});

describe('a damaged stored partition', () => {
  test('garbage in the middle of a file being written is still exit 8 naming the object, and nothing is left', async () => {
    // The partition of the largest file (the filler table), damaged a third of the way in: the
    // decoder fails while that file is being written, so its write stream is torn down too.
    const manifest = JSON.parse(readFileSync(join(repo, 'basebackups_005', backup, 'manifest.json'), 'utf8')) as {
      files: Array<{ size: number; partition: number }>;
      partitions: Array<{ number: number; key: string }>;
    };
    const largest = manifest.files.reduce((a, b) => (b.size > a.size ? b : a));
    const key = manifest.partitions.find((p) => p.number === largest.partition)!.key;
    const path = join(repo, key);
    const original = readFileSync(path);
    const bytes = Buffer.from(original);
    for (let i = Math.floor(bytes.length / 3); i < Math.floor(bytes.length / 3) + 256; i++) bytes[i]! ^= 0xa5;
    writeFileSync(path, bytes);
    try {
      const target = join(postgresOwnedDir('flipped-'), 'data');
      mkdirSync(target);
      const result = await runPgward(['backup-fetch', target, backup, '--config', configFile]);
      expectCleanError(result, 8, new RegExp(key.replace(/\./g, '\\.')));
      expect(readdirSync(target)).toEqual([]);
    } finally {
      writeFileSync(path, original);
    }
  }, 60_000);
});

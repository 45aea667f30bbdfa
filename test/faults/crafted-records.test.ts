// Tampered manifests and sentinels (issue 9, item 3), each a copy of a real backup with one record
// changed: partition keys climbing out of or leaving the backup's folder, a bogus compression, files
// that overlap or lie outside, malformed JSON, a sentinel naming another backup, an unknown or wrong
// PostgreSQL version. Every one is exit 8 with a HINT (never 70), nothing is left in the target, and
// no recovery configuration the server would reject is ever written.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, pushBackup, writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { cloneBackup, snapshot } from '../harness/crafted-backup.js';
import { expectCleanError } from '../harness/expect-error.js';
import { TEST_ROOT } from '../harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import type { BackupManifest, BackupSentinel } from '../../src/backup/manifest.js';

let source: TestCluster;
let repo: string;
let configFile: string;
let base: string;

beforeAll(async () => {
  repo = join(postgresOwnedDir('crafted-records-'), 'repo');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_BACKUP_WAL_TIMEOUT: '60' });
  source = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  base = await pushBackup(source, configFile);
}, 120_000);

afterAll(async () => {
  await source?.destroy();
});

interface Tamper {
  what: string;
  manifest?: (m: BackupManifest, name: string) => void;
  sentinel?: (s: BackupSentinel) => void;
  manifestBytes?: (text: string) => string;
  sentinelBytes?: (text: string) => string;
  message: (name: string) => RegExp;
}

const CASES: Tamper[] = [
  { what: 'a partition key climbing out with ../', manifest: (m, name) => void (m.partitions[0]!.key = `basebackups_005/${name}/../../pgward.json`), message: () => /gives partition 1 the key "basebackups_005\/\S+\/\.\.\/\.\.\/pgward\.json", not basebackups_005\/\S+\/tar_partitions\/part_00000001\.tar\.lz4/ },
  { what: "a partition key of another backup's folder", manifest: (m) => void (m.partitions[0]!.key = m.partitions[0]!.key.replace(/_r\d+\//, '/')), message: () => /gives partition 1 the key "basebackups_005\/base_\w+\/tar_partitions/ },
  { what: 'an absolute partition key', manifest: (m) => void (m.partitions[0]!.key = '/etc/passwd'), message: () => /gives partition 1 the key "\/etc\/passwd"/ },
  { what: 'a bogus compression name', manifest: (m) => void (m.compression = 'rot13'), message: () => /names compression "rot13", which is not one of lz4, zstd, gzip, none/ },
  { what: 'a file listed twice', manifest: (m) => void m.files.push({ ...m.files[0]! }), message: () => /lists \S+ twice/ },
  { what: 'a file below another file', manifest: (m) => void m.files.push({ ...m.files.find((f) => f.name === 'PG_VERSION')!, name: 'PG_VERSION/x' }), message: () => /lists PG_VERSION\/x below the file PG_VERSION/ },
  { what: 'a file outside the target', manifest: (m) => void (m.files[0]!.name = '../escaped'), message: () => /lists a file with an unsafe name "\.\.\/escaped"/ },
  { what: 'an absolute file name', manifest: (m) => void (m.files[0]!.name = '/etc/cron.d/x'), message: () => /lists a file with an unsafe name "\/etc\/cron\.d\/x"/ },
  { what: 'a file in a partition it does not list', manifest: (m) => void (m.files[0]!.partition = 99), message: () => /puts \S+ in partition 99, which it does not list/ },
  { what: 'no files list', manifest: (m) => void ((m as unknown as Record<string, unknown>).files = null), message: () => /holds no files list/ },
  { what: 'a size that is not a number', manifest: (m) => void ((m.partitions[0] as unknown as Record<string, unknown>).storedSize = 'big'), message: () => /holds no valid size or sha256 for/ },
  { what: 'a manifest of another backup', manifest: (m) => void (m.name = 'base_other'), message: () => /names backup "base_other", not/ },
  { what: 'a truncated manifest', manifestBytes: (t) => t.slice(0, Math.floor(t.length / 2)), message: () => /manifest\.json is damaged/ },
  { what: 'a manifest that is not JSON at all', manifestBytes: () => '\u0000\u0001garbage', message: () => /manifest\.json is damaged/ },
  { what: 'a sentinel naming another backup', sentinel: (s) => void (s.name = 'base_000000010000000000000001_00000028'), message: (name) => new RegExp(`names backup "base_000000010000000000000001_00000028", not ${name} whose key it is stored under`) },
  { what: 'a truncated sentinel', sentinelBytes: (t) => t.slice(0, 40), message: () => /_backup_stop_sentinel\.json is damaged/ },
  { what: 'a sentinel of an unknown major', sentinel: (s) => Object.assign(s, { pgMajor: '99', pgVersionNum: 990001 }), message: () => /records PostgreSQL "99", a PostgreSQL major this pgward does not know/ },
  { what: 'a sentinel without a version number', sentinel: (s) => void delete (s as unknown as Record<string, unknown>).pgVersionNum, message: () => /holds no valid PostgreSQL version number/ },
  { what: 'a sentinel whose major and version number disagree', sentinel: (s) => void (s.pgVersionNum = 110005), message: () => /records PostgreSQL 15 but version number 110005 \(major 11\)/ },
  { what: 'a sentinel whose finish time is not a time', sentinel: (s) => void ((s as unknown as Record<string, unknown>).finishedAt = 42), message: () => /holds no valid finishedAt \(42\)/ },
  { what: 'a sentinel whose start LSN is not an LSN', sentinel: (s) => void (s.startLsn = 'zz'), message: () => /holds no valid startLsn \("zz"\)/ },
  { what: 'a sentinel with a relative data directory', sentinel: (s) => void (s.dataDirectory = 'data'), message: () => /holds no valid dataDirectory \("data"\)/ },
  { what: 'a sentinel saying 11 over PostgreSQL 15 data', sentinel: (s) => Object.assign(s, { pgMajor: '11', pgVersionNum: 110005 }), message: (name) => new RegExp(`backup ${name} records PostgreSQL 11, but its restored PG_VERSION says 15`) },
  { what: 'a sentinel saying 17 over PostgreSQL 15 data', sentinel: (s) => Object.assign(s, { pgMajor: '17', pgVersionNum: 170002 }), message: (name) => new RegExp(`backup ${name} records PostgreSQL 17, but its restored PG_VERSION says 15`) },
];

test.each(CASES.map((c, i) => ({ ...c, i })))('$what: exit 8 with a hint, nothing restored', async ({ manifest, sentinel, manifestBytes, sentinelBytes, message, i }) => {
  const name = `${base}_r${i}`;
  cloneBackup(repo, base, name, { manifest: manifest && ((m) => manifest(m, name)), sentinel, manifestBytes, sentinelBytes });
  const dir = mkdtempSync(join(TEST_ROOT, 'records-'));
  const before = snapshot(repo);
  const result = await runPgward(['backup-fetch', join(dir, 'target'), name, '--config', configFile]);
  expectCleanError(result, 8, message(name));
  expect(result.stderr).toMatch(/HINT: \S/);
  expect(readdirSync(dir)).toEqual([]);
  expect(snapshot(repo)).toEqual(before);
});

test('the untampered backup still restores', async () => {
  const dir = mkdtempSync(join(TEST_ROOT, 'records-ok-'));
  const result = await runPgward(['backup-fetch', join(dir, 'target'), base, '--config', configFile]);
  expect(result.exitCode).toBe(0);
});

test('a backup name that is a path is a usage error, not a read outside basebackups_005/', async () => {
  const dir = mkdtempSync(join(TEST_ROOT, 'records-name-'));
  const result = await runPgward(['backup-fetch', join(dir, 'target'), '../pgward.json/..', '--config', configFile]);
  expectCleanError(result, 2, /"\.\.\/pgward\.json\/\.\." is not a backup name/);
  expect(readdirSync(dir)).toEqual([]);
});

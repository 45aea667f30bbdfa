// Tablespace locations recorded in a backup's manifest (issue 9, item 2) come from the repository:
// backup-fetch announces each recorded location before writing anything, and refuses (exit 10, a
// hint naming --tablespace-map) one that is not absolute, not empty, inside the restore target or
// holding it. A location given with --tablespace-map is the operator's confirmation.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, pushBackup, writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { cloneBackup, readJson, snapshot } from '../harness/crafted-backup.js';
import { expectCleanError } from '../harness/expect-error.js';
import { TEST_ROOT } from '../harness/paths.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { backupObjectKey } from '../../src/repo/layout.js';
import type { BackupManifest } from '../../src/backup/manifest.js';

let source: TestCluster;
let repo: string;
let configFile: string;
let base: string;
let oid: string;
let recorded: string;
const copies: TestCluster[] = [];

beforeAll(async () => {
  repo = join(postgresOwnedDir('crafted-ts-'), 'repo');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_BACKUP_WAL_TIMEOUT: '60' });
  source = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  recorded = postgresOwnedDir('ts-');
  await source.query(`CREATE TABLESPACE crafted LOCATION '${recorded}'`);
  await source.query('CREATE TABLE in_ts TABLESPACE crafted AS SELECT g FROM generate_series(1, 1000) g');
  base = await pushBackup(source, configFile);
  oid = readJson<BackupManifest>(repo, backupObjectKey(base, 'manifest.json')).tablespaces[0]!.oid;
}, 120_000);

afterAll(async () => {
  await Promise.all(copies.map((c) => c.destroy()));
  await source?.destroy();
});

const box = (): { dir: string; target: string } => {
  const dir = mkdtempSync(join(TEST_ROOT, 'ts-box-'));
  return { dir, target: join(dir, 'target') };
};

const hint = () => new RegExp(`HINT: .*--tablespace-map ${oid}=DIR`);

test('the recorded location, still in use by the source: announced, then refused (exit 10) before anything is written', async () => {
  const { dir, target } = box();
  const before = snapshot(recorded);
  const result = await runPgward(['backup-fetch', target, base, '--config', configFile]);
  expectCleanError(result, 10, new RegExp(`tablespace ${oid} location ${recorded} is not empty`));
  expect(result.stderr).toMatch(hint());
  expect(result.stderr).toMatch(new RegExp(`tablespace ${oid} will be restored into ${recorded}, the location recorded in the backup`));
  expect(snapshot(recorded)).toEqual(before);
  expect(readdirSync(dir)).toEqual([]);
});

test('a location given with --tablespace-map is used without question, and the copy starts with its tablespace there', async () => {
  const dir = postgresOwnedDir('ts-mapped-');
  const target = join(dir, 'target');
  const mapped = join(dir, 'ts');
  const result = await runPgward(['backup-fetch', target, base, '--config', configFile, '--tablespace-map', `${oid}=${mapped}`]);
  expect(result.exitCode).toBe(0);
  expect(result.stderr).not.toMatch(/the location recorded in the backup/);
  expect(readlinkSync(join(target, 'pg_tblspc', oid))).toBe(mapped);
  expect(readdirSync(mapped).some((name) => name.startsWith('PG_15_'))).toBe(true);
  expect(readFileSync(join(target, 'tablespace_map'), 'utf8')).toBe(`${oid} ${mapped}\n`);
  const copy = await clusterFromDataDirectory('15', target);
  copies.push(copy);
  await copy.start();
  await copy.waitPromoted();
  expect((await copy.query<{ n: string }>('SELECT count(*)::text AS n FROM in_ts'))[0]!.n).toBe('1000');
}, 120_000);

test('an absent recorded location is announced before the first write, then restored', async () => {
  const { dir, target } = box();
  const fresh = join(dir, 'fresh-ts');
  const name = `${base}_fresh`;
  cloneBackup(repo, base, name, { manifest: (m) => void (m.tablespaces[0]!.location = fresh) });
  const result = await runPgward(['backup-fetch', target, name, '--config', configFile]);
  expect(result.exitCode).toBe(0);
  const lines = result.stderr.split('\n');
  const announced = lines.findIndex((line) => line.includes(`tablespace ${oid} will be restored into ${fresh}, the location recorded in the backup`));
  const restoring = lines.findIndex((line) => line.includes(`into ${target}`));
  expect(announced).toBeGreaterThanOrEqual(0);
  expect(announced).toBeLessThan(restoring);
  expect(readlinkSync(join(target, 'pg_tblspc', oid))).toBe(fresh);
});

const REFUSED: Array<{ what: string; location: (dir: string, target: string) => string; message: (location: string, target: string) => RegExp }> = [
  { what: 'a relative location', location: () => 'relative/ts', message: () => new RegExp(`tablespace \\d+ location "relative/ts" recorded in the backup is not an absolute path`) },
  { what: 'a location inside the target', location: (_dir, target) => join(target, 'base', 'ts'), message: (l, t) => new RegExp(`location ${l} \\(recorded in the backup\\) lies inside the restore target ${t}`) },
  { what: 'the target itself', location: (_dir, target) => target, message: (l, t) => new RegExp(`location ${l} \\(recorded in the backup\\) lies inside the restore target ${t}`) },
  { what: 'a location holding the target', location: (dir) => dir, message: (l, t) => new RegExp(`location ${l} \\(recorded in the backup\\) contains the restore target ${t}`) },
];

test.each(REFUSED.map((c, i) => ({ ...c, i })))('a tampered manifest with $what: exit 10 naming --tablespace-map, nothing written', async ({ location, message, i }) => {
  const { dir, target } = box();
  const name = `${base}_loc${i}`;
  const chosen = location(dir, target);
  cloneBackup(repo, base, name, { manifest: (m) => void (m.tablespaces[0]!.location = chosen) });
  const rootBefore = readdirSync('/');
  const result = await runPgward(['backup-fetch', target, name, '--config', configFile]);
  expectCleanError(result, 10, message(chosen, target));
  expect(result.stderr).toMatch(hint());
  expect(readdirSync(dir)).toEqual([]);
  expect(existsSync(target)).toBe(false);
  expect(readdirSync('/')).toEqual(rootBefore);
});

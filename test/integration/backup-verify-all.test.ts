// backup-verify --all-unverified (issue 10), the daily timer's job: every complete backup without a
// verification record is verified, oldest first; one already verified is left alone; a failure does
// not stop the others, is recorded, and makes the run exit 12 naming it; a second run has nothing to
// do, and a backup whose record is FAILED keeps its verdict (it is not "unverified").
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, pushBackup, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { listBackupsJson, stderrJson } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { TEST_ROOT } from '../harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { runVerify, scratchEntries, serversUnder, verifyEnv } from '../harness/verify.js';
import { partitionKey } from '../../src/repo/layout.js';

let cluster: TestCluster;
let configFile: string;
let repo: string;
const env = verifyEnv(join(TEST_ROOT, 'verify-all'));
const backups: string[] = [];

async function push(): Promise<string> {
  await cluster.query('CREATE TABLE IF NOT EXISTS t AS SELECT g FROM generate_series(1, 1000) g');
  const name = await pushBackup(cluster, configFile);
  await waitArchived(cluster, await switchWal(cluster));
  return name;
}

beforeAll(async () => {
  repo = join(postgresOwnedDir('verify-all-repo-'), 'repo');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_BACKUP_WAL_TIMEOUT: '60' });
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  for (let i = 0; i < 3; i++) backups.push(await push());
}, 180_000);

afterAll(async () => {
  await cluster?.destroy();
});

test('a backup name and --all-unverified together: usage error, nothing verified', async () => {
  const result = await runVerify(configFile, ['LATEST', '--all-unverified'], env);
  expectCleanError(result, 2, /--all-unverified .* takes no backup name/);
  expect((await listBackupsJson(configFile)).every((b) => b.verification === null)).toBe(true);
});

test('verifies only the unverified backups, oldest first; a damaged one fails without stopping the rest', async () => {
  const [first, second, third] = backups as [string, string, string];
  expect((await runVerify(configFile, [first, '--level', 'files'], env)).exitCode).toBe(0);
  // One byte of the second backup's first partition changed: it must fail, the third must still pass.
  const part = join(repo, partitionKey(second, 1, 'lz4'));
  const bytes = readFileSync(part);
  bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
  writeFileSync(part, bytes);

  const result = await runVerify(configFile, ['--all-unverified', '--level', 'files', '--json'], env);
  expect(result.exitCode).toBe(12);
  const error = stderrJson(result).find((l) => l.level === 'error' && l.code === 'VERIFICATION_FAILED');
  expect(String(error?.message)).toMatch(new RegExp(`^1 of 2 backup\\(s\\) failed verification: ${second}: .*part_00000001\\.tar\\.lz4`));
  const records = JSON.parse(result.stdout) as Array<{ backup: string; result: string; failedCheck?: string }>;
  expect(records.map((r) => [r.backup, r.result])).toEqual([[third, 'verified'], [second, 'failed']]);
  const order = stderrJson(result).filter((l) => typeof l.index === 'number').map((l) => l.backup);
  expect(order).toEqual([second, third]);
  const listed = await listBackupsJson(configFile);
  expect(listed.map((b) => [b.name, (b.verification as { result: string } | null)?.result])).toEqual([[first, 'verified'], [second, 'failed'], [third, 'verified']]);
});

test('a second run has nothing to verify: the FAILED verdict stands until a DBA verifies that backup by name', async () => {
  const result = await runVerify(configFile, ['--all-unverified', '--level', 'files'], env);
  expect({ exitCode: result.exitCode, stdout: result.stdout }).toEqual({ exitCode: 0, stdout: 'nothing to verify: every complete backup has a verification record' });
});

test('at the restore level, a new backup is verified and nothing is left behind', async () => {
  backups.push(await push());
  const result = await runVerify(configFile, ['--all-unverified'], env);
  expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? '' : result.stderr }).toEqual({ exitCode: 0, stderr: '' });
  expect(result.stdout).toMatch(new RegExp(`^${backups[3]} verified \\(restore\\): restore [\\d.]+ s, recovery [\\d.]+ s, `));
  expect(serversUnder(env.PGWARD_VERIFY_DIR!)).toEqual([]);
  expect(scratchEntries(env.PGWARD_VERIFY_DIR!)).toEqual([]);
}, 180_000);

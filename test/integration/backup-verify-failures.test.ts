// backup-verify condemns what cannot be trusted (issue 10), each with exit 12 and a message naming
// what failed: a --check-sql query that returns false, a flipped byte in a stored partition, a WAL
// segment the backup needs deleted from the archive (at both levels). Each verdict is recorded and
// shows in backup-list; nothing is left in the scratch directory and no server keeps running.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { listBackupsJson, runPgward, stderrJson } from '../harness/cli.js';
import { TEST_ROOT } from '../harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { runVerify, scratchEntries, serversUnder, verifyEnv } from '../harness/verify.js';

let cluster: TestCluster;
let configFile: string;
let repo: string;
const env = verifyEnv(join(TEST_ROOT, 'verify-failures'));
const base = env.PGWARD_VERIFY_DIR!;

async function push(extra: string[] = []): Promise<{ name: string; walStart: string }> {
  await cluster.query(`CREATE TABLE IF NOT EXISTS orders AS SELECT g AS id FROM generate_series(1, 5000) g`);
  const result = await runPgward(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint', '--json', ...extra], { env: { PGUSER: 'postgres' } });
  if (result.exitCode !== 0) throw new Error(`backup-push failed (${result.exitCode}): ${result.stderr}`);
  await waitArchived(cluster, await switchWal(cluster));
  return JSON.parse(result.stdout) as { name: string; walStart: string };
}

function nothingLeft(): void {
  expect(serversUnder(base)).toEqual([]);
  expect(scratchEntries(base)).toEqual([]);
}

beforeAll(async () => {
  repo = join(postgresOwnedDir('verify-repo-'), 'repo');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_BACKUP_WAL_TIMEOUT: '60', PGWARD_PARTITION_SIZE_MB: '4' });
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

describe('backup-verify failures', () => {
  let good: string;
  beforeAll(async () => {
    good = (await push()).name;
  }, 90_000);

  test('a good backup verifies at restore level; a true --check-sql passes; the record lists in backup-list', async () => {
    const sql = join(postgresOwnedDir('sql-'), 'checks.sql');
    writeFileSync(sql, '-- the data is there\nSELECT count(*) = 5000 FROM orders;\nSELECT true;\n');
    const result = await runVerify(configFile, [good, '--check-sql', sql, '--json'], env);
    expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? '' : result.stderr }).toEqual({ exitCode: 0, stderr: '' });
    const record = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(record).toMatchObject({ backup: good, result: 'verified', level: 'restore' });
    const names = (record.checks as Array<{ name: string; ok: boolean }>).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['identity', 'wal', 'restore', 'recovery', 'system identifier', 'major version', 'databases', 'amcheck', 'check-sql SELECT count(*) = 5000 FROM orders']));
    expect(Number(record.restoreSeconds)).toBeGreaterThan(0);
    const listed = (await listBackupsJson(configFile)).find((b) => b.name === good)!;
    expect(listed.verification).toMatchObject({ result: 'verified', level: 'restore' });
    nothingLeft();
  }, 120_000);

  test('a --check-sql query that returns false fails naming the query (exit 12), recorded as FAILED', async () => {
    const sql = join(postgresOwnedDir('sql-'), 'checks.sql');
    writeFileSync(sql, 'SELECT true;\nSELECT count(*) > 999999 FROM orders;\n');
    const result = await runVerify(configFile, [good, '--check-sql', sql, '--no-amcheck'], env);
    expect(result.exitCode).toBe(12);
    expect(result.stderr).toContain('SELECT count(*) > 999999 FROM orders');
    expect(result.stderr).toMatch(/ERROR: .*returned false, not true/);
    expect((await listBackupsJson(configFile)).find((b) => b.name === good)!.verification).toMatchObject({ result: 'failed', failedCheck: 'check-sql SELECT count(*) > 999999 FROM orders' });
    const table = await runPgward(['backup-list', '--config', configFile]);
    expect(table.stdout).toMatch(new RegExp(`${good}.*FAILED`));
    nothingLeft();
  }, 120_000);

  test('backup-push --verify verifies the new backup at the files level and records it', async () => {
    const { name } = await push(['--verify']);
    expect((await listBackupsJson(configFile)).find((b) => b.name === name)!.verification).toMatchObject({ result: 'verified', level: 'files' });
  }, 90_000);

  describe('damaged repository', () => {
    let flipped: string;
    let missingWal: { name: string; walStart: string };
    beforeAll(async () => {
      flipped = (await push()).name;
      missingWal = await push();
    }, 120_000);

    test('one byte changed in a stored partition: both levels fail naming the object', async () => {
      const dir = join(repo, 'basebackups_005', flipped, 'tar_partitions');
      const part = join(dir, readdirSync(dir).sort()[0]!);
      const bytes = readFileSync(part);
      const at = Math.floor(bytes.length / 2);
      bytes[at] = bytes[at]! ^ 0xff;
      writeFileSync(part, bytes);
      for (const level of ['files', 'restore']) {
        const result = await runVerify(configFile, [flipped, '--level', level], env);
        expect({ level, exitCode: result.exitCode }).toEqual({ level, exitCode: 12 });
        expect(result.stderr).toContain(`${flipped}/tar_partitions/part_00000001.tar`);
        nothingLeft();
      }
    }, 120_000);

    test('a WAL segment the backup needs deleted from the archive: both levels fail naming the segment', async () => {
      for (const file of readdirSync(join(repo, 'wal_005'))) if (file.startsWith(missingWal.walStart)) rmSync(join(repo, 'wal_005', file));
      for (const level of ['files', 'restore']) {
        const result = await runVerify(configFile, [missingWal.name, '--level', level, '--json'], env);
        expect({ level, exitCode: result.exitCode }).toEqual({ level, exitCode: 12 });
        const error = stderrJson(result).find((l) => l.code === 'VERIFICATION_FAILED');
        expect(String(error?.message)).toContain(`WAL segment ${missingWal.walStart}`);
        nothingLeft();
      }
      expect((await listBackupsJson(configFile)).find((b) => b.name === missingWal.name)!.verification).toMatchObject({ result: 'failed', failedCheck: 'wal' });
    }, 120_000);
  });

  test('delete removes the verification records with the backup', async () => {
    const before = await listBackupsJson(configFile);
    expect(before.filter((b) => b.verification).length).toBeGreaterThan(1);
    const deleted = await runPgward(['delete', '--confirm', 'retain', '1', '--config', configFile]);
    expect(deleted.exitCode).toBe(0);
    const kept = (await listBackupsJson(configFile)).map((b) => b.name);
    const left = readdirSync(join(repo, 'basebackups_005')).filter((entry) => !kept.some((name) => entry.startsWith(name)));
    expect(left).toEqual([]);
  }, 60_000);
});

// A backup of each major (13, 15, 17) in a real S3 server verifies at --level restore with that
// major's own binaries (13 and 17 named by PGWARD_PG_BIN_<major>, 15 found at Debian's location);
// the record lists in backup-list and is the only new object in the repository. A binary of the
// wrong major is refused. The embedded 13 and 17 builds ship no pg_amcheck or pg_checksums: those
// checks are skipped and said so.
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { archiveSettings, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { listBackupsJson, runPgward, stderrJson } from '../harness/cli.js';
import { PG_BIN_DIRS, TEST_ROOT } from '../harness/paths.js';
import { createCluster, type TestCluster } from '../harness/postgres.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';
import { runVerify, verifyEnv } from '../harness/verify.js';

let s3: TestS3Server;

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('verify');
}, 60_000);

afterAll(async () => {
  await s3?.stop();
});

async function keys(prefix: string): Promise<string[]> {
  const client = s3.client();
  const found: string[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: 'verify', Prefix: prefix, ContinuationToken: token }));
      found.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.NextContinuationToken;
    } while (token);
  } finally {
    client.destroy();
  }
  return found;
}

describe.each(['13', '15', '17'] as const)('PostgreSQL %s', (version) => {
  let cluster: TestCluster;
  let configFile: string;
  let backup: string;

  beforeAll(async () => {
    configFile = writePgwardConfig({ ...s3.env('verify', `pg${version}`), PGWARD_BACKUP_WAL_TIMEOUT: '60' });
    cluster = await createCluster({ version, extraConfig: archiveSettings(configFile) });
    await cluster.query('CREATE TABLE kept AS SELECT g FROM generate_series(1, 1000) g');
    const pushed = await runPgward(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint'], { env: { PGUSER: 'postgres' } });
    if (pushed.exitCode !== 0) throw new Error(pushed.stderr);
    backup = pushed.stdout.trim();
    await waitArchived(cluster, await switchWal(cluster));
  }, 120_000);

  afterAll(async () => {
    await cluster?.destroy();
  });

  test('verifies at --level restore with its own binaries; the record is the only new object', async () => {
    const before = await keys(`pg${version}/`);
    const result = await runVerify(configFile, [backup, '--json'], verifyEnv(join(TEST_ROOT, `verify-majors-${version}`)));
    expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? '' : result.stderr }).toEqual({ exitCode: 0, stderr: '' });
    const record = JSON.parse(result.stdout) as { result: string; pgBin: string; postgresVersion: string; key: string; checks: Array<{ name: string }> };
    expect(record).toMatchObject({ result: 'verified', pgBin: PG_BIN_DIRS[version] });
    expect(record.postgresVersion).toMatch(new RegExp(`^${version}\\.`));
    const skipped = stderrJson(result).filter((l) => l.skipped === true).map((l) => l.check);
    if (version === '15') expect(record.checks.map((c) => c.name)).toContain('amcheck');
    else expect(skipped).toContain('amcheck');
    const after = await keys(`pg${version}/`);
    expect(after.filter((k) => !before.includes(k))).toEqual([`pg${version}/${record.key}`]);
    expect((await listBackupsJson(configFile)).find((b) => b.name === backup)!.verification).toMatchObject({ result: 'verified', level: 'restore' });
  }, 120_000);

  test('a server binary of another major is refused (exit 2)', async () => {
    const other = version === '15' ? '17' : '15';
    const result = await runVerify(configFile, [backup, '--pg-bin', PG_BIN_DIRS[other]!], verifyEnv(join(TEST_ROOT, `verify-majors-${version}`)));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`is PostgreSQL ${other}, the backup needs PostgreSQL ${version}`);
  }, 60_000);
});

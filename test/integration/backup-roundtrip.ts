// Shared body of the per-major round-trip tests (backup-roundtrip-NN.test.ts): backup-push to s3rver
// while pgbench writes, backup-fetch, recovery through wal-fetch, every table equal to the source at a
// point after the backup's stop; then point-in-time recovery to before a DROP TABLE.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { createScenario, type Scenario } from '../harness/backup-scenario.js';
import { runPgward, stderrJson } from '../harness/cli.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';
import type { ClusterOptions } from '../harness/postgres.js';

export function roundTrip(version: ClusterOptions['version']): void {
  let s3: TestS3Server;
  let scenario: Scenario;
  let backupName: string;

  beforeAll(async () => {
    s3 = await startS3rver();
    await s3.createBucket('backups');
    scenario = await createScenario(version, s3.env('backups', `pg${version}`));
  }, 90_000);

  afterAll(async () => {
    await scenario?.destroy();
    await s3?.stop();
  });

  test(`PostgreSQL ${version}: backup-push to S3 while pgbench writes; the sentinel records the cluster`, async () => {
    const load = scenario.pgbench(['-T', '6', '-c', '2', '-n']);
    const result = await scenario.backupPush(['--json']);
    await load;
    expect(result.stderr).not.toMatch(/"level":50/);
    expect(result.exitCode).toBe(0);
    const sentinel = JSON.parse(result.stdout) as Record<string, unknown>;
    const [id] = await scenario.cluster.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()');
    expect(sentinel).toMatchObject({ pgMajor: version, systemIdentifier: id!.id, port: scenario.cluster.port, dataDirectory: scenario.cluster.dataDirectory, compression: 'lz4' });
    expect((sentinel.tablespaces as unknown[]).length).toBe(1);
    expect(Number(sentinel.partitions)).toBeGreaterThan(1);
    backupName = String(sentinel.name);
    const logs = stderrJson(result);
    expect(String(logs[0]!.msg)).toMatch(/^backing up cluster .*: PostgreSQL .*, port \d+ \(postmaster.pid\)/);
    const list = await runPgward(['backup-list', '--json', '--config', scenario.configFile]);
    expect(JSON.parse(list.stdout).backups).toEqual([expect.objectContaining({ name: backupName, complete: true })]);
  }, 90_000);

  test(`PostgreSQL ${version}: backup-fetch and recovery through wal-fetch reproduce every table`, async () => {
    await scenario.cluster.query('CREATE TABLE after_stop AS SELECT 1 AS written_after_the_backup');
    await scenario.archiveAll();
    const expected = await scenario.checksums(scenario.cluster);
    expect(Object.keys(expected)).toEqual(expect.arrayContaining(['after_stop', 'in_second', 'pgbench_accounts']));
    const copy = await scenario.restore(backupName);
    expect(await scenario.checksums(copy)).toEqual(expected);
    expect(await copy.query('SELECT count(*)::int AS n FROM scratch')).toEqual([{ n: 0 }]);
    const [ts] = await copy.query<{ location: string }>("SELECT pg_tablespace_location(oid) AS location FROM pg_tablespace WHERE spcname = 'second'");
    expect(ts!.location).not.toBe(scenario.tablespaceDir);
  }, 120_000);

  test(`PostgreSQL ${version}: recovery to a time before DROP TABLE brings the table back`, async () => {
    // Commit timestamps have microsecond resolution and the DROP commits after this statement: no
    // pause is needed for the target to fall between the two.
    const [{ now }] = (await scenario.cluster.query<{ now: string }>("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS now")) as [{ now: string }];
    await scenario.cluster.query('DROP TABLE in_second');
    await scenario.archiveAll();
    const copy = await scenario.restore(backupName, ['--target-time', now]);
    expect(await copy.query('SELECT count(*)::int AS n FROM in_second')).toEqual([{ n: 20000 }]);
  }, 120_000);
}

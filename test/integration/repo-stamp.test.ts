// The repository is stamped by the first cluster that writes to it; another cluster is refused with
// exit 4 and the stamp stays byte-for-byte what it was. On the filesystem and on a real S3 server.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chownSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { pgwardCommand, writePgwardConfig } from '../harness/archiving.js';
import { runPgward, stderrJson } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { osUser } from '../harness/os-user.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

let clusterA: TestCluster;
let clusterB: TestCluster;
let s3: TestS3Server;

beforeAll(async () => {
  // A archives (check proves the archive chain); each repository below points its archive_command there.
  [clusterA, clusterB, s3] = await Promise.all([createCluster({ version: '15', extraConfig: { archive_mode: 'on' } }), createCluster({ version: '17' }), startS3rver()]);
  await s3.createBucket('stamps');
}, 60_000);

afterAll(async () => {
  // PostgreSQL first, then S3 (TEST-INFRA: a server archiving to a dead endpoint blocks shutdown).
  await Promise.all([clusterA?.destroy(), clusterB?.destroy()]);
  await s3?.stop();
});

interface RepoUnderTest {
  env: Record<string, string>;
  readStamp(): Promise<string>;
}

const repositories: Array<[string, () => RepoUnderTest]> = [
  [
    'filesystem',
    () => {
      // An empty folder (read commands refuse a repository folder that does not exist at all), owned
      // by postgres: check run as root works as the data directory's owner.
      const dir = join(postgresOwnedDir('stamp-fs-'), 'repo');
      mkdirSync(dir);
      const owner = osUser('postgres');
      chownSync(dir, owner.uid, owner.gid);
      return { env: { PGWARD_REPO: `file://${dir}` }, readStamp: async () => readFileSync(join(dir, 'pgward.json'), 'utf8') };
    },
  ],
  [
    's3 (s3rver)',
    () => {
      const prefix = `p${Date.now()}/${Math.random().toString(36).slice(2)}`;
      return {
        env: s3.env('stamps', prefix),
        readStamp: async () => {
          const client = s3.client();
          try {
            const out = await client.send(new GetObjectCommand({ Bucket: 'stamps', Key: `${prefix}/pgward.json` }));
            return await out.Body!.transformToString();
          } finally {
            client.destroy();
          }
        },
      };
    },
  ],
];

describe.each(repositories)('repository stamp on %s', (_name, makeRepo) => {
  let repo: RepoUnderTest;
  beforeAll(async () => {
    repo = makeRepo();
    await clusterA.query(`ALTER SYSTEM SET archive_command = '${pgwardCommand(writePgwardConfig(repo.env), 'wal-push %p').replace(/'/g, "''")}'`);
    await clusterA.query('SELECT pg_reload_conf()');
  });

  test('repo-info on a new repository says it has no stamp yet', async () => {
    const result = await runPgward(['repo-info', '--json'], { env: repo.env });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ stamp: null });
  });

  test('the first check stamps it for cluster A and logs the verified cluster first', async () => {
    const result = await runPgward(['check', clusterA.dataDirectory, '--json'], { env: { ...repo.env, PGUSER: 'postgres' } });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ stampCreated: true, port: clusterA.port, pgMajor: '15' });
    const logs = stderrJson(result);
    expect(logs[0]).toMatchObject({ level: 30, command: 'check', dataDirectory: clusterA.dataDirectory, port: clusterA.port });
    const info = await runPgward(['repo-info', '--json'], { env: repo.env });
    expect(JSON.parse(info.stdout)).toMatchObject({ stamp: { pgMajor: '15', dataDirectory: clusterA.dataDirectory, format: 'pgward-repository/1' } });
  });

  test('a second check from A finds the stamp matching', async () => {
    const result = await runPgward(['check', clusterA.dataDirectory, '--json'], { env: { ...repo.env, PGUSER: 'postgres' } });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ stampCreated: false });
  });

  test("cluster B writing to A's repository is refused with exit 4 and the stamp is unchanged", async () => {
    const before = await repo.readStamp();
    const result = await runPgward(['check', clusterB.dataDirectory], { env: { ...repo.env, PGUSER: 'postgres' } });
    expectCleanError(result, 4, /belongs to cluster .* not to .*system identifier \d+ \(repository\) vs \d+ \(cluster\); PostgreSQL 15 \(repository\) vs 17 \(cluster\)/);
    expect(result.stderr).toMatch(/HINT: give each cluster its own repository prefix/);
    expect(await repo.readStamp()).toBe(before);
  });
});

test('a repository setting that cannot be parsed names the setting and its source', async () => {
  const result = await runPgward(['repo-info'], { env: { WALE_S3_PREFIX: 'bucket/prefix' } });
  expectCleanError(result, 2, /repository "bucket\/prefix" \(environment WALE_S3_PREFIX\)/);
});

test('no repository at all names every place looked in', async () => {
  const result = await runPgward(['repo-info']);
  expectCleanError(result, 2, /no repository configured \(looked for --repo, PGWARD_REPO, WALE_S3_PREFIX, WALE_FILE_PREFIX/);
});

test('an unknown command is a usage error (exit 2) with a hint', async () => {
  const result = await runPgward(['backup-pushh']);
  expect(result.exitCode).toBe(2);
  expect(result.stderr).toMatch(/HINT: pgward --help/);
});

// PostgreSQL runs pgward as its archive_command against a real S3 server: every segment of a pgbench
// run is archived, byte-exact (checked with the real lz4 tool, not with pgward), duplicates are
// handled, and a base backup taken without WAL recovers through restore_command = pgward wal-fetch.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, writeFileSync, appendFileSync, chownSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { archiveSettings, baseBackupWithoutWal, pgwardCommand, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { osUser } from '../harness/os-user.js';
import { PG_BIN_DIRS } from '../harness/paths.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

const BUCKET = 'wal';
const PREFIX = 'pg15';
let s3: TestS3Server;
let source: TestCluster;
let restored: TestCluster | undefined;
let configFile: string;
let backupDir: string;

async function objectBytes(key: string): Promise<Buffer> {
  const client = s3.client();
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}/${key}` }));
    return Buffer.from(await out.Body!.transformToByteArray());
  } finally {
    client.destroy();
  }
}

async function archivedKeys(): Promise<string[]> {
  const client = s3.client();
  const keys: string[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}/wal_005/`, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((item) => item.Key!.slice(PREFIX.length + 1)));
      token = page.NextContinuationToken;
    } while (token);
  } finally {
    client.destroy();
  }
  return keys;
}

function pgbench(args: string[]): Promise<unknown> {
  const conn = source.connection();
  return execa(join(PG_BIN_DIRS['15']!, 'pgbench'), ['-h', conn.host, '-p', String(conn.port), '-U', 'postgres', ...args, 'postgres']);
}

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket(BUCKET);
  configFile = writePgwardConfig({ ...s3.env(BUCKET, PREFIX), PGWARD_STORAGE_RETRIES: '2' });
  source = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
}, 60_000);

afterAll(async () => {
  await restored?.destroy();
  await source?.destroy();
  await s3?.stop();
});

describe('archive_command = pgward wal-push %p', () => {
  test('a base backup without WAL (-X none) is taken first, to be recovered from the archive later', async () => {
    backupDir = await baseBackupWithoutWal(source);
    expect(readdirSync(join(backupDir, 'pg_wal')).filter((f) => /^[0-9A-F]{24}$/.test(f))).toEqual([]);
  }, 60_000);

  test('archives every segment of a pgbench run and pg_switch_wal() calls, failed_count 0', async () => {
    await pgbench(['-i', '-s', '2', '-q']);
    await pgbench(['-T', '3', '-c', '2', '-n']);
    let last = '';
    for (let i = 0; i < 3; i++) last = await switchWal(source);
    const stats = await waitArchived(source, last);
    expect(stats.failed).toBe(0);
    expect(stats.archived).toBeGreaterThanOrEqual(5);
  }, 120_000);

  test('every archived object decompresses (with the lz4 tool) to the exact bytes of its segment', async () => {
    const walDir = join(source.dataDirectory, 'pg_wal');
    const done = readdirSync(join(walDir, 'archive_status'))
      .filter((f) => f.endsWith('.done'))
      .map((f) => f.slice(0, -'.done'.length));
    const keys = await archivedKeys();
    expect(keys.sort()).toEqual(done.map((name) => `wal_005/${name}.lz4`).sort());
    for (const name of done.filter((n) => /^[0-9A-F]{24}$/.test(n))) {
      const { stdout } = await execa('lz4', ['-d', '-c'], { input: await objectBytes(`wal_005/${name}.lz4`), encoding: 'buffer', stripFinalNewline: false });
      expect(Buffer.compare(Buffer.from(stdout), readFileSync(join(walDir, name)))).toBe(0);
    }
  }, 60_000);

  test('wal-list and wal-verify see one complete timeline', async () => {
    const list = await runPgward(['wal-list', '--json', '--config', configFile]);
    expect(list.exitCode).toBe(0);
    const catalog = JSON.parse(list.stdout) as { timelines: Array<{ timeline: number; gaps: unknown[] }>; segmentSizeKnown: boolean };
    expect(catalog.segmentSizeKnown).toBe(true);
    expect(catalog.timelines).toEqual([expect.objectContaining({ timeline: 1, gaps: [] })]);
    const verify = await runPgward(['wal-verify', '--config', configFile]);
    expect(verify.exitCode).toBe(0);
    expect(verify.stdout).toMatch(/missing\s+none/);
  });
});

describe('duplicates', () => {
  let segment: string;
  beforeAll(async () => {
    segment = (await archivedKeys()).map((k) => k.slice('wal_005/'.length, -'.lz4'.length)).find((n) => /^[0-9A-F]{24}$/.test(n))!;
  });

  test('the same bytes again: exit 0 with a warning', async () => {
    const result = await runPgward(['wal-push', `pg_wal/${segment}`, '--config', configFile], { cwd: source.dataDirectory, asUser: 'postgres' });
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/already archived with the same content/);
  });

  test('one byte different: exit 7 and the archived object unchanged', async () => {
    const before = await objectBytes(`wal_005/${segment}.lz4`);
    const dir = postgresOwnedDir('dup-');
    const copy = join(dir, segment);
    copyFileSync(join(source.dataDirectory, 'pg_wal', segment), copy);
    const bytes = readFileSync(copy);
    bytes[bytes.length - 100]! ^= 0x01;
    writeFileSync(copy, bytes);
    const user = osUser('postgres');
    chownSync(copy, user.uid, user.gid);
    const result = await runPgward(['wal-push', copy, '--config', configFile], { cwd: source.dataDirectory, asUser: 'postgres' });
    expectCleanError(result, 7, /already archived as .* with different content; the archived copy was left untouched/);
    expect(Buffer.compare(await objectBytes(`wal_005/${segment}.lz4`), before)).toBe(0);
  });

  test('a name that is not a WAL file is refused with nothing uploaded', async () => {
    const before = (await archivedKeys()).length;
    const result = await runPgward(['wal-push', 'postgresql.conf', '--config', configFile], { cwd: source.dataDirectory, asUser: 'postgres' });
    expectCleanError(result, 2, /"postgresql.conf" is not a WAL file name/);
    expect((await archivedKeys()).length).toBe(before);
  });
});

describe('restore_command = pgward wal-fetch %f %p', () => {
  test('the base backup recovers through the archive to the last archived segment and matches the source', async () => {
    await source.query('CREATE TABLE marker AS SELECT 42 AS answer');
    const last = await switchWal(source);
    await waitArchived(source, last);
    const expected = await source.query('SELECT count(*)::int AS n, sum(abalance)::bigint AS total, (SELECT answer FROM marker) AS answer FROM pgbench_accounts');

    writeFileSync(join(backupDir, 'recovery.signal'), '');
    appendFileSync(join(backupDir, 'postgresql.auto.conf'), `restore_command = '${pgwardCommand(configFile, 'wal-fetch %f %p').replace(/'/g, "''")}'\narchive_mode = off\n`);
    const user = osUser('postgres');
    chownSync(join(backupDir, 'recovery.signal'), user.uid, user.gid);
    restored = await clusterFromDataDirectory('15', backupDir);
    await restored.start();
    await restored.waitPromoted();
    const actual = await restored.query('SELECT count(*)::int AS n, sum(abalance)::bigint AS total, (SELECT answer FROM marker) AS answer FROM pgbench_accounts');
    expect(actual).toEqual(expected);
    const log = readFileSync(restored.logFile, 'utf8');
    expect(log).toMatch(new RegExp(`restored log file "${last}" from archive`));
  }, 120_000);
});

// The migration path: WAL archived by wal-e (lzop) and WAL-G (lz4, zstd, brotli) under wal_005/ is
// fetched correctly. The objects are made here by the real command-line tools, not by pgward.
import { afterAll, beforeAll, expect } from '@jest/globals';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { runPgward } from '../harness/cli.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { switchWal } from '../harness/archiving.js';
import { testNeeding } from '../harness/tools.js';

let cluster: TestCluster;
let segment: string;
let segmentBytes: Buffer;

beforeAll(async () => {
  cluster = await createCluster({ version: '17' });
  segment = await switchWal(cluster);
  segmentBytes = readFileSync(join(cluster.dataDirectory, 'pg_wal', segment));
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
}, 30_000);

const FORMATS: Array<[string, string, string[]]> = [
  ['wal-e lzop', 'lzo', ['lzop', '-c']],
  ['WAL-G lz4', 'lz4', ['lz4', '-c']],
  ['WAL-G zstd', 'zst', ['zstd', '-c', '-q']],
  ['WAL-G brotli', 'br', ['brotli', '-c', '-q', '5']],
  ['gzip', 'gz', ['gzip', '-c']],
];

testNeeding([['lzop', 'lzop'], ['lz4', 'lz4'], ['zstd', 'zstd'], ['brotli', 'brotli'], ['gzip', 'gzip']]).each(FORMATS)('%s (.%s) made by the real tool is fetched byte-exact and checked', async (_name, extension, command) => {
  const repo = postgresOwnedDir(`fmt-${extension}-`);
  mkdirSync(join(repo, 'wal_005'));
  const { stdout } = await execa(command[0]!, command.slice(1), { input: segmentBytes, encoding: 'buffer', stripFinalNewline: false });
  writeFileSync(join(repo, 'wal_005', `${segment}.${extension}`), stdout);
  const history = await execa(command[0]!, command.slice(1), { input: Buffer.from('1\t0/3000140\tno recovery target specified\n'), encoding: 'buffer', stripFinalNewline: false });
  writeFileSync(join(repo, 'wal_005', `00000002.history.${extension}`), history.stdout);

  const target = postgresOwnedDir('fetched-');
  // cwd is the cluster's data directory, as for restore_command: the page header is checked against it.
  const result = await runPgward(['wal-fetch', segment, join(target, 'seg')], { env: { PGWARD_REPO: `file://${repo}` }, cwd: cluster.dataDirectory });
  expect(result).toMatchObject({ exitCode: 0, stderr: '' });
  expect(Buffer.compare(readFileSync(join(target, 'seg')), segmentBytes)).toBe(0);
  const hist = await runPgward(['wal-fetch', '00000002.history', join(target, 'hist')], { env: { PGWARD_REPO: `file://${repo}` }, cwd: cluster.dataDirectory });
  expect(hist.exitCode).toBe(0);
  expect(readFileSync(join(target, 'hist'), 'utf8')).toMatch(/^1\t0\/3000140/);
}, 30_000);

testNeeding([['lz4', 'lz4']])("a segment from another cluster in the archive is refused on fetch, not handed to PostgreSQL", async () => {
  const other = await createCluster({ version: '17' });
  try {
    const repo = postgresOwnedDir('fmt-foreign-');
    mkdirSync(join(repo, 'wal_005'));
    const { stdout } = await execa('lz4', ['-c'], { input: segmentBytes, encoding: 'buffer', stripFinalNewline: false });
    writeFileSync(join(repo, 'wal_005', `${segment}.lz4`), stdout);
    const target = postgresOwnedDir('fetched-');
    const result = await runPgward(['wal-fetch', segment, join(target, 'seg'), '--pgdata', other.dataDirectory], {
      env: { PGWARD_REPO: `file://${repo}`, PGWARD_WAL_FETCH_RETRY: '0' },
    });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/is not a WAL file of this cluster: it was written by the cluster with system identifier/);
  } finally {
    await other.destroy();
  }
}, 60_000);

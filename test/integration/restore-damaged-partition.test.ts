// One damaged byte in a stored partition, at many offsets: every restore must end with exit 8 naming
// the partition, quickly, and leave nothing behind. A partition is a series of lz4 frames (1 MiB of
// tar each); the in-process decoder (PATH without the lz4 program) fails a damaged frame as a whole,
// so damaging frame k fails the extraction exactly where frame k-1 ended: when that is just past a
// tar header, the extractor is destroyed while the entry's file is being set up. The restore hung
// there (exit 13, "unsettled top-level await", a file descriptor closed on garbage collection).
// Damage lands in every frame in turn; a few rounds more use the lz4 program, which writes out what
// it decoded before it fails.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { archiveSettings, writePgwardConfig } from '../harness/archiving.js';
import { listBackupsJson, runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

const ROUNDS = 20;

/** Where each lz4 frame of `buf` starts (the frame format: magic, descriptor, blocks, end mark, checksum). */
function frameStarts(buf: Buffer): number[] {
  const starts: number[] = [];
  for (let at = 0; at + 7 <= buf.length; ) {
    expect(buf.readUInt32LE(at)).toBe(0x184d2204);
    starts.push(at);
    const flags = buf[at + 4]!;
    let cursor = at + 4 + 2 + (flags & 0x08 ? 8 : 0) + (flags & 0x01 ? 4 : 0) + 1;
    for (let size; (size = buf.readUInt32LE(cursor) & 0x7fffffff) !== 0; ) cursor += 4 + size + (flags & 0x10 ? 4 : 0);
    at = cursor + 4 + (flags & 0x04 ? 4 : 0);
  }
  return starts;
}
let cluster: TestCluster;
let repo: string;
let configFile: string;
let backup: string;

beforeAll(async () => {
  repo = join(postgresOwnedDir('damaged-repo-'), 'repo');
  // 16 MiB partitions: each a series of 1 MiB frames over hundreds of relation files.
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_COMPRESSION: 'lz4', PGWARD_PARTITION_SIZE_MB: '16', PGWARD_PROGRESS_INTERVAL: '1' });
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  // About 12 MB in 200 tables of 60 kB: many files of a few blocks each.
  await cluster.query(`DO $$ BEGIN FOR i IN 1..200 LOOP EXECUTE format('CREATE TABLE t%s AS SELECT g, md5((g * %s)::text) AS payload FROM generate_series(1, 800) g', i, i); END LOOP; END $$`);
  const pushed = await runPgward(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint'], { env: { PGUSER: 'postgres' } });
  expect(pushed.exitCode).toBe(0);
  backup = (await listBackupsJson(configFile)).at(-1)!.name;
}, 180_000);

afterAll(async () => {
  await cluster?.destroy();
});

test(`a byte flipped at ${ROUNDS} offsets of an lz4 partition: exit 8 naming it, within 30 s, nothing left`, async () => {
  const dir = join(repo, 'basebackups_005', backup, 'tar_partitions');
  const partitions = readdirSync(dir).filter((name) => name.endsWith('.tar.lz4'));
  // The largest partition: the most entries to land in.
  const name = partitions.sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0]!;
  const path = join(dir, name);
  const original = readFileSync(path);
  const frames = frameStarts(original);
  expect(frames.length).toBeGreaterThan(8);
  const outcomes: string[] = [];
  const failures: string[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Rounds 0..frames-2: frame round+1, 100 bytes into its first block, in-process decoder. Then
      // offsets spread over the object, with the lz4 program.
      const inProcess = round < frames.length - 1;
      const offset = inProcess ? frames[round + 1]! + 100 : 64 + Math.floor(((original.length - 128) * (round + 0.37)) / ROUNDS) + round * 13;
      const damaged = Buffer.from(original);
      damaged[offset] = damaged[offset]! ^ 0xff;
      writeFileSync(path, damaged);
      const target = join(postgresOwnedDir('damaged-'), 'data');
      const env = inProcess ? { PATH: '/nonexistent' } : {};
      const started = Date.now();
      const result = await runPgward(['backup-fetch', target, backup, '--config', configFile, '--no-archive'], { env, timeoutMs: 30_000 });
      const seconds = (Date.now() - started) / 1000;
      outcomes.push(`round ${round} offset ${offset} ${inProcess ? 'lz4-napi' : 'lz4 program'}: exit ${result.exitCode} in ${seconds.toFixed(1)} s`);
      try {
        expectCleanError(result, 8, new RegExp(`basebackups_005/${backup}/tar_partitions/${name.replace(/\./g, '\\.')}`));
        expect(result.stderr).not.toMatch(/Closing file descriptor/);
        expect(existsSync(target)).toBe(false);
        expect(readdirSync(dirname(target))).toEqual([]);
      } catch (err) {
        failures.push(`${outcomes.at(-1)}: ${(err as Error).message.split('\n').slice(0, 12).join(' ')}\nstderr:\n${result.stderr.slice(-2000)}`);
      }
    }
  } finally {
    writeFileSync(path, original);
  }
  // Every round runs, so that a failure reports how many rounds failed and how.
  expect({ failed: failures.length, failures, outcomes }).toEqual({ failed: 0, failures: [], outcomes });
}, ROUNDS * 35_000);

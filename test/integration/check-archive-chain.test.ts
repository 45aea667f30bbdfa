// check proves the whole archive chain (issue 8, item 3), as pgBackRest's check does: archive_mode
// off fails with the settings to change; an archive_command that writes into another cluster's
// repository fails naming the archiver's failure; a good setup switches a segment and names it once
// it is in the repository. Three majors: the switch must work on each.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let good: TestCluster;
let off: TestCluster;
let misdirected: TestCluster;
let goodRepo: string;
let goodConfig: string;
// Independent of running as root: the role is named.
const AS_POSTGRES = { PGUSER: 'postgres' };

beforeAll(async () => {
  goodRepo = join(postgresOwnedDir('chain-good-'), 'repo');
  goodConfig = writePgwardConfig({ PGWARD_REPO: `file://${goodRepo}`, PGWARD_ARCHIVE_CHECK_TIMEOUT: '30' });
  good = await createCluster({ version: '17', extraConfig: archiveSettings(goodConfig) });
  // Stamp the good repository for the PG 17 cluster before anything else can archive into it.
  const stamped = await runPgward(['check', good.dataDirectory, '--config', goodConfig], { env: AS_POSTGRES });
  if (stamped.exitCode !== 0) throw new Error(`check of the good setup failed: ${stamped.stderr}`);
  // The PG 13 cluster archives into the PG 17 cluster's repository (wal-push refuses: exit 4).
  [off, misdirected] = await Promise.all([createCluster({ version: '15' }), createCluster({ version: '13', extraConfig: archiveSettings(goodConfig) })]);
}, 120_000);

afterAll(async () => {
  await Promise.all([good?.destroy(), off?.destroy(), misdirected?.destroy()]);
});

describe('check and the archive chain', () => {
  test('archive_mode = off fails with exit 2 and names the settings to change', async () => {
    const repo = join(postgresOwnedDir('chain-off-'), 'repo');
    const result = await runPgward(['check', off.dataDirectory], { env: { ...AS_POSTGRES, PGWARD_REPO: `file://${repo}` } });
    expectCleanError(result, 2, /archive_mode is off/);
    expect(result.stderr).toMatch(/HINT: set archive_mode = on and archive_command = 'pgward wal-push %p'/);
  });

  test("an archive_command into another cluster's repository fails, naming the archiver's failure", async () => {
    const repo = join(postgresOwnedDir('chain-own-'), 'repo');
    const config = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_ARCHIVE_CHECK_TIMEOUT: '15', PGWARD_PROGRESS_INTERVAL: '1' });
    const result = await runPgward(['check', misdirected.dataDirectory, '--config', config], { env: AS_POSTGRES });
    expectCleanError(result, 8, /WAL segment\(s\) [0-9A-F]{24} needed by check were not archived within 15 s; archive_command failed for [0-9A-F]{24} at /);
    // Said while waiting, not only at the end.
    expect(result.stderr).toMatch(/"level":40.*archive_command failed for [0-9A-F]{24}.*pg_stat_archiver/);
  }, 60_000);

  test('a good setup is ok and names the segment it switched, which is in the repository', async () => {
    const result = await runPgward(['check', good.dataDirectory, '--config', goodConfig, '--json'], { env: AS_POSTGRES });
    expect(result.exitCode).toBe(0);
    const doc = JSON.parse(result.stdout) as { archive: { segment: string; archiveMode: string; throughPgward: boolean; standby: boolean } };
    expect(doc.archive).toMatchObject({ archiveMode: 'on', throughPgward: true, standby: false, segment: expect.stringMatching(/^[0-9A-F]{24}$/) });
    expect(existsSync(join(goodRepo, 'wal_005', `${doc.archive.segment}.lz4`))).toBe(true);
    const text = await runPgward(['check', good.dataDirectory, '--config', goodConfig], { env: AS_POSTGRES });
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toMatch(/archiving\s+ok: switched segment [0-9A-F]{24} reached the repository/);
  }, 60_000);
});

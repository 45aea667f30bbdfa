// Something in PGDATA the server's user cannot read (issue 8, "unreadable files in PGDATA during a
// backup"): a root-owned 0600 file, or a folder without rights. backup-push (as postgres) ends with
// exit 5, one line naming the path and a hint, the backup is stopped on the server by pgward (not
// aborted by PostgreSQL for a vanished session), and nothing lists as complete.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, writePgwardConfig } from '../harness/archiving.js';
import { listBackupsJson, runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let cluster: TestCluster;
let configFile: string;

beforeAll(async () => {
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${join(postgresOwnedDir('unreadable-repo-'), 'repo')}` });
  cluster = await createCluster({ version: '17', extraConfig: archiveSettings(configFile) });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

const push = () => runPgward(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint'], { asUser: 'postgres' });

describe('unreadable entries in PGDATA', () => {
  test('a root-owned 0600 file: exit 5 naming it, the backup stopped, nothing complete', async () => {
    const path = join(cluster.dataDirectory, 'base', 'root-owned-notes');
    writeFileSync(path, 'left here by root\n');
    chmodSync(path, 0o600);
    try {
      const result = await push();
      expectCleanError(result, 5, new RegExp(`cannot read ${path} in the data directory: permission denied`));
      expect(result.stderr).toMatch(/HINT: everything in the data directory must be readable by its owner/);
      expect(result.stderr).toMatch(/stopping it on the server/);
    } finally {
      rmSync(path, { force: true });
    }
    expect(await listBackupsJson(configFile)).toEqual([]);
    expect(readFileSync(cluster.logFile, 'utf8')).not.toMatch(/aborting backup due to backend exiting/);
  });

  test('a folder without rights: exit 5 naming it', async () => {
    const dir = join(cluster.dataDirectory, 'root-only');
    mkdirSync(dir);
    chmodSync(dir, 0o700);
    try {
      const result = await push();
      expectCleanError(result, 5, new RegExp(`cannot read ${dir} in the data directory: permission denied`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await listBackupsJson(configFile)).toEqual([]);
    // Nothing left in backup mode: the next push succeeds.
    expect((await push()).exitCode).toBe(0);
  });
});

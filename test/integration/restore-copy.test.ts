// A restored copy stays out of its source's way (issue 8): without --archive it gets archive_mode =
// off and says so, naming the repository it will not write into (--no-archive too; --archive keeps
// the source's archiving for a restore that replaces it); and a copy configured with its source's
// port on the same host gets a warning naming the setting to change.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, pushBackup, writePgwardConfig } from '../harness/archiving.js';
import { runPgward, stderrJson, type CliResult } from '../harness/cli.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let source: TestCluster;
let repo: string;
let configFile: string;
const copies: TestCluster[] = [];

const push = (): Promise<string> => pushBackup(source, configFile);

async function fetch(backup: string, extra: string[] = []): Promise<{ target: string; result: CliResult }> {
  const target = join(postgresOwnedDir('copy-'), 'data');
  const result = await runPgward(['backup-fetch', target, backup, '--config', configFile, '--json', ...extra]);
  expect(result.exitCode).toBe(0);
  return { target, result };
}

const portWarnings = (result: CliResult) => stderrJson(result).filter((line) => line.setting === 'port');

beforeAll(async () => {
  repo = join(postgresOwnedDir('copy-repo-'), 'repo');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_BACKUP_WAL_TIMEOUT: '60' });
  source = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
}, 60_000);

afterAll(async () => {
  await Promise.all(copies.map((c) => c.destroy()));
  await source?.destroy();
});

describe('archiving in a restored copy', () => {
  let backup: string;
  beforeAll(async () => {
    backup = await push();
  }, 60_000);

  test('by default: archive_mode = off, said on stderr and in --json, naming the repository', async () => {
    const { target, result } = await fetch(backup);
    expect(JSON.parse(result.stdout)).toMatchObject({ archiving: 'off', repository: `file://${repo}` });
    const said = stderrJson(result).find((line) => line.archiveMode === 'off');
    expect(said).toMatchObject({ repository: `file://${repo}` });
    expect(String(said!.msg)).toMatch(new RegExp(`archive_mode = off\\): it will not write WAL into file://${repo}`));
    const copy = await clusterFromDataDirectory('15', target);
    copies.push(copy);
    await copy.start();
    await copy.waitPromoted();
    expect((await copy.query<{ archive_mode: string }>('SHOW archive_mode'))[0]!.archive_mode).toBe('off');
  }, 120_000);

  test('--no-archive: the same', async () => {
    const { target, result } = await fetch(backup, ['--no-archive']);
    expect(JSON.parse(result.stdout)).toMatchObject({ archiving: 'off' });
    expect(readFileSync(join(target, 'postgresql.auto.conf'), 'utf8')).toMatch(/^archive_mode = 'off'$/m);
  });

  test('--archive: the source archiving is kept, with a warning naming the repository', async () => {
    const { target, result } = await fetch(backup, ['--archive']);
    expect(JSON.parse(result.stdout)).toMatchObject({ archiving: 'kept' });
    expect(stderrJson(result).find((line) => line.archiveMode === 'kept')).toMatchObject({ level: 40, repository: `file://${repo}` });
    expect(readFileSync(join(target, 'postgresql.auto.conf'), 'utf8')).not.toMatch(/archive_mode/);
  });

  test('--archive registers the copy as a location of the repository; a default copy stays unregistered', async () => {
    const kept = await fetch(backup, ['--archive']);
    const plain = await fetch(backup);
    const listed = await runPgward(['location-list', '--json', '--config', configFile]);
    expect(listed.exitCode).toBe(0);
    const dirs = (JSON.parse(listed.stdout) as { locations: Array<{ dataDirectory: string; role: string }> }).locations;
    expect(dirs).toContainEqual(expect.objectContaining({ dataDirectory: kept.target, role: 'restore' }));
    expect(dirs.map((l) => l.dataDirectory)).not.toContain(plain.target);
    expect(stderrJson(kept.result).find((line) => line.archiveMode === 'kept')!.msg).toMatch(/pgward location-remove /);
  });

  test("no port warning when the copy's configured port differs from its source's", async () => {
    const { result } = await fetch(backup);
    expect(portWarnings(result)).toEqual([]);
  });
});

describe('a copy configured with its source port on the same host', () => {
  test('gets a warning naming the port setting and the file to set it in', async () => {
    // The harness starts servers with -p; configured in postgresql.auto.conf the port travels with
    // the backup, as it does for a cluster started by pg_ctl.
    await source.query(`ALTER SYSTEM SET port = ${source.port}`);
    const backup = await push();
    const { target, result } = await fetch(backup);
    const [warning] = portWarnings(result);
    expect(warning).toMatchObject({ port: source.port, sourcePort: source.port, sourceDataDirectory: source.dataDirectory, socketDirectory: source.socketDirectory });
    expect(String(warning!.msg)).toMatch(new RegExp(`set port in ${target}/postgresql.auto.conf`));
  }, 60_000);
});

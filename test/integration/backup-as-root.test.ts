// `sudo pgward backup-push|check|cluster-info PGDATA` works as pg_ctlcluster does (issue 8, "running
// it the way DBAs do"): run as root with no PGUSER, against a cluster that has no role named root,
// pgward becomes the data directory's owner, connects as that role, and every file it writes into a
// filesystem repository belongs to the owner (whose archive_command writes there too).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, writePgwardConfig } from '../harness/archiving.js';
import { listBackupsJson, runPgward, stderrJson } from '../harness/cli.js';
import { osUser } from '../harness/os-user.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let cluster: TestCluster;
let configFile: string;
let repo: string;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).map((e) => join(e.parentPath, e.name));
}

beforeAll(async () => {
  repo = join(postgresOwnedDir('root-repo-'), 'repo');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}` });
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
}, 60_000);

afterAll(async () => {
  await cluster?.destroy();
});

describe('run as root', () => {
  test('the test runs as root and the cluster has no role named root', async () => {
    expect(process.getuid!()).toBe(0);
    expect(await cluster.query("SELECT 1 FROM pg_roles WHERE rolname = 'root'")).toEqual([]);
  });

  test('check, backup-push and cluster-info connect as the owner; the repository belongs to postgres', async () => {
    const check = await runPgward(['check', cluster.dataDirectory, '--config', configFile]);
    expect({ exitCode: check.exitCode, stderr: check.exitCode === 0 ? '' : check.stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(stderrJson(check).find((e) => e.msg === 'server verified (role postgres)')).toMatchObject({ role: 'postgres' });
    const pushed = await runPgward(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint']);
    expect({ exitCode: pushed.exitCode, stderr: pushed.exitCode === 0 ? '' : pushed.stderr }).toEqual({ exitCode: 0, stderr: '' });
    expect(stderrJson(pushed)[0]).toMatchObject({ dataDirectory: cluster.dataDirectory, role: 'postgres' });
    expect((await listBackupsJson(configFile)).map((b) => b.name)).toEqual([pushed.stdout.trim()]);
    const info = await runPgward(['cluster-info', cluster.dataDirectory, '--json']);
    expect(info.exitCode).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ verified: true });

    const postgres = osUser('postgres');
    const owners = filesUnder(repo).map((path) => ({ path, uid: statSync(path).uid }));
    expect(owners.length).toBeGreaterThan(3);
    expect(owners.filter((o) => o.uid !== postgres.uid)).toEqual([]);
  }, 120_000);
});

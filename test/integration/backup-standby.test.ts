// Backups of a streaming standby (issue 8, items 8 and 9) in the repository the primary archives to.
// A standby's backup starts at its last restartpoint, which is the primary's last backup checkpoint,
// so its start LSN, and so its natural name, is the primary backup's; an idle standby gives every
// backup that same name. Each backup must claim a name of its own and write its objects once: all
// stay complete and restorable, and a later push that fails midway leaves them intact.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { archiveSettings, writePgwardConfig } from '../harness/archiving.js';
import { listBackupsJson, runPgward, stderrJson } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { osUser } from '../harness/os-user.js';
import { PG_BIN_DIRS } from '../harness/paths.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';

let primary: TestCluster;
let standby: TestCluster;
let configFile: string;
const restored: TestCluster[] = [];

async function push(cluster: TestCluster, asUser?: string) {
  return runPgward(['backup-push', cluster.dataDirectory, '--config', configFile, '--fast-checkpoint'], { env: { PGUSER: 'postgres' }, ...(asUser ? { asUser } : {}) });
}

async function restore(name: string): Promise<TestCluster> {
  const target = join(postgresOwnedDir('standby-restore-'), 'data');
  const fetched = await runPgward(['backup-fetch', target, name, '--config', configFile, '--no-archive']);
  if (fetched.exitCode !== 0) throw new Error(`backup-fetch ${name} failed (${fetched.exitCode}): ${fetched.stderr}`);
  const copy = await clusterFromDataDirectory('15', target);
  restored.push(copy);
  await copy.start();
  await copy.waitPromoted();
  return copy;
}

beforeAll(async () => {
  const repo = join(postgresOwnedDir('standby-repo-'), 'repo');
  configFile = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_BACKUP_WAL_TIMEOUT: '60', PGWARD_PROGRESS_INTERVAL: '1' });
  // archive_timeout bounds how long the last segment a standby backup needs stays unarchived.
  primary = await createCluster({ version: '15', extraConfig: { ...archiveSettings(configFile), archive_timeout: '2' } });
  await primary.query('CREATE TABLE kept AS SELECT g AS id FROM generate_series(1, 5000) g');
  const user = osUser('postgres');
  const target = join(postgresOwnedDir('standby-'), 'data');
  const conn = primary.connection();
  await execa(join(PG_BIN_DIRS['15']!, 'pg_basebackup'), ['-h', conn.host, '-p', String(conn.port), '-U', 'postgres', '-D', target, '-X', 'stream', '-R', '-c', 'fast'], { uid: user.uid, gid: user.gid });
  standby = await clusterFromDataDirectory('15', target);
  await standby.start();
}, 120_000);

afterAll(async () => {
  await Promise.all(restored.map((c) => c.destroy()));
  await standby?.destroy();
  await primary?.destroy();
});

describe('backups of a standby', () => {
  test('primary and standby backups that start at the same LSN get names of their own, and all restore', async () => {
    const first = await push(primary);
    expect(first.exitCode).toBe(0);
    const fromPrimary = first.stdout.trim();
    // Replayed on the standby: its restartpoint is now the primary's backup checkpoint.
    const lsn = (await primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn'))[0]!.lsn;
    const until = Date.now() + 30_000;
    while ((await standby.query<{ ok: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn]))[0]!.ok !== true) {
      if (Date.now() > until) throw new Error('the standby did not replay the backup');
      await new Promise((r) => setTimeout(r, 100));
    }

    // An unregistered location may not write into the repository, a standby included; check on the
    // standby registers it (as for a failover), after which its backups are accepted.
    const refused = await push(standby);
    expect(refused.exitCode).toBe(4);
    expect(refused.stderr).toMatch(/pgward location-add/);
    const registered = await runPgward(['check', standby.dataDirectory, '--config', configFile], { env: { PGUSER: 'postgres' } });
    expect(registered.exitCode).toBe(0);
    const second = await push(standby);
    expect(second.exitCode).toBe(0);
    const third = await push(standby);
    expect(third.exitCode).toBe(0);
    const names = [fromPrimary, second.stdout.trim(), third.stdout.trim()];
    expect(new Set(names).size).toBe(3);
    // The standby explained what its WAL wait depends on, or needed none.
    for (const entry of stderrJson(second).filter((e) => e.phase === 'waiting for WAL' && e.walStart)) {
      expect(String(entry.msg)).toMatch(/this is a standby, so the primary archives them/);
    }

    const listed = await listBackupsJson(configFile);
    expect(listed.map((b) => b.name).sort()).toEqual([...names].sort());
    const byName = new Map(listed.map((b) => [b.name, b]));
    expect(byName.get(fromPrimary)).toMatchObject({ fromStandby: false });
    expect(byName.get(names[1]!)).toMatchObject({ fromStandby: true });
    // The clash the claim resolved: the standby's backups start where the primary's did.
    expect(byName.get(names[1]!)!.startLsn).toBe(byName.get(fromPrimary)!.startLsn);

    for (const name of [fromPrimary, names[2]!]) {
      const copy = await restore(name);
      expect((await copy.query<{ n: string }>('SELECT count(*)::text AS n FROM kept'))[0]!.n).toBe('5000');
      await copy.stop();
    }
  }, 240_000);

  test('check on the standby checks what it can and says the archive is proven on the primary', async () => {
    const result = await runPgward(['check', standby.dataDirectory, '--config', configFile, '--json'], { env: { PGUSER: 'postgres' } });
    expect(result.exitCode).toBe(0);
    const doc = JSON.parse(result.stdout) as { archive: Record<string, unknown> };
    expect(doc.archive).toMatchObject({ standby: true, archiveMode: 'on', throughPgward: true });
    expect(doc.archive.segment).toBeUndefined();
    expect(result.stderr).toMatch(/the server is a standby: it cannot switch or archive a segment/);
    const text = await runPgward(['check', standby.dataDirectory, '--config', configFile], { env: { PGUSER: 'postgres' } });
    expect(text.stdout).toMatch(/archiving\s+not proven here: a standby cannot switch a segment/);
  });

  test('a standby push that fails midway leaves the complete backups intact and restorable', async () => {
    const before = await listBackupsJson(configFile);
    expect(before.length).toBeGreaterThan(0);
    // A root-owned file the postgres user cannot read: the push (as postgres) fails mid-copy.
    const stray = join(standby.dataDirectory, 'root-only.conf');
    writeFileSync(stray, 'not for postgres\n');
    chmodSync(stray, 0o600);
    try {
      const failed = await push(standby, 'postgres');
      expectCleanError(failed, 5, new RegExp(`cannot read ${stray} in the data directory: permission denied`));
    } finally {
      const { rmSync } = await import('node:fs');
      rmSync(stray, { force: true });
    }
    const after = await listBackupsJson(configFile);
    expect(after).toEqual(before);
    const copy = await restore(before.at(-1)!.name);
    expect((await copy.query<{ n: string }>('SELECT count(*)::text AS n FROM kept'))[0]!.n).toBe('5000');
  }, 180_000);
});

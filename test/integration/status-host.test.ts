// pgward status on a host of four clusters (issue 11): one protected (archiving through pgward, a
// backup, verified), one with archive_mode off, one archiving into the first one's repository (every
// attempt refused, exit 4), one whose S3 endpoint accepts connections and never answers. Each reason
// is said in words, the verdicts decide the exit status (14, --nagios 2), --prometheus writes metrics
// promtool accepts, the unreachable repository is reported within the probe's deadline, and the
// repository holds exactly the same objects before and after.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { archiveSettings, pgwardCommand, pushBackup, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { REPO_ROOT } from '../harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { testNeeding } from '../harness/tools.js';
import type { ClusterStatus } from '../../src/status/cluster-status.js';

let protectedCluster: TestCluster;
let unarchived: TestCluster;
let misdirected: TestCluster;
let unreachable: TestCluster;
let repo: string;
let blackhole: Server;
const held: Socket[] = [];
const TIMEOUT = { PGWARD_STATUS_TIMEOUT: '2' };

function repositoryFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(`${relative(repo, path)} ${statSync(path).size} ${statSync(path).mtimeMs}`);
    }
  };
  walk(repo);
  return out.sort();
}

const dataDirectories = (): string[] => [protectedCluster, unarchived, misdirected, unreachable].map((c) => c.dataDirectory);
const status = (extra: string[] = []) => runPgward(['status', ...dataDirectories(), ...extra], { env: TIMEOUT });
const byCluster = (clusters: ClusterStatus[], cluster: TestCluster): ClusterStatus => clusters.find((c) => c.dataDirectory === cluster.dataDirectory)!;

beforeAll(async () => {
  blackhole = createServer((socket) => void held.push(socket));
  await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
  const port = (blackhole.address() as { port: number }).port;
  repo = join(postgresOwnedDir('status-repo-'), 'repo');
  const config = writePgwardConfig({ PGWARD_REPO: `file://${repo}`, PGWARD_BACKUP_WAL_TIMEOUT: '60' });
  const hung = writePgwardConfig({
    PGWARD_REPO: 's3://never/answers',
    PGWARD_S3_ENDPOINT: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: 'x',
    AWS_SECRET_ACCESS_KEY: 'y',
  });
  [protectedCluster, unarchived, misdirected, unreachable] = await Promise.all([
    createCluster({ version: '15', extraConfig: archiveSettings(config) }),
    createCluster({ version: '15' }),
    createCluster({ version: '15', extraConfig: { ...archiveSettings(config), archive_command: pgwardCommand(config, 'wal-push %p') } }),
    // archive_command through the hung endpoint: status must report the repository, not wait for it.
    createCluster({ version: '15', extraConfig: { archive_mode: 'on', archive_command: pgwardCommand(hung, 'wal-push %p') } }),
  ]);
  await pushBackup(protectedCluster, config);
  await waitArchived(protectedCluster, await switchWal(protectedCluster));
  expect((await runPgward(['backup-verify', 'LATEST', '--level', 'files', '--config', config])).exitCode).toBe(0);
  // The misdirected cluster's first segment is refused: the repository belongs to the protected one.
  await switchWal(misdirected);
  const until = Date.now() + 60_000;
  while (Number((await misdirected.query<{ failed_count: string }>('SELECT failed_count FROM pg_stat_archiver'))[0]!.failed_count) === 0) {
    if (Date.now() > until) throw new Error('the misdirected cluster never failed to archive');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 180_000);

afterAll(async () => {
  await Promise.all([protectedCluster, unarchived, misdirected, unreachable].map((c) => c?.destroy()));
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => blackhole?.close(resolve));
});

test('each cluster gets its verdict and its reasons in words; exit 14; read-only; bounded', async () => {
  const before = repositoryFiles();
  const started = Date.now();
  const result = await status(['--json']);
  const elapsed = Date.now() - started;
  expect(result.exitCode).toBe(14);
  // Four probes in parallel, each bounded by PGWARD_STATUS_TIMEOUT=2: the hung endpoint costs 2 s once.
  expect(elapsed).toBeLessThan(8000);
  expect(repositoryFiles()).toEqual(before);
  const { clusters } = JSON.parse(result.stdout) as { clusters: ClusterStatus[] };
  const ok = byCluster(clusters, protectedCluster);
  expect({ verdict: ok.verdict, reasons: ok.reasons }).toEqual({ verdict: 'OK', reasons: [] });
  expect(ok).toMatchObject({ running: true, archiveMode: 'on', repository: { reachable: true, stamped: true }, backups: { count: 1 }, verification: { result: 'verified', level: 'files' }, wal: { complete: true } });
  expect(ok.settings?.configFile).toMatch(/pgward\.conf$/);

  const off = byCluster(clusters, unarchived);
  expect(off.verdict).toBe('CRITICAL');
  expect(off.reasons.map((r) => r.text)).toEqual(['not archived (archive_mode off)', expect.stringMatching(/^no backup \(no pgward settings/)]);

  const wrong = byCluster(clusters, misdirected);
  expect(wrong.verdict).toBe('CRITICAL');
  expect(wrong.reasons.map((r) => r.text)).toEqual(expect.arrayContaining([expect.stringMatching(/^archiving failing: 0000000100000000000000\w\w failed at .*; exit 4: the repository belongs to another cluster\)$/), expect.stringMatching(/^repository file:\/\/.* belongs to another cluster \(/)]));

  const hung = byCluster(clusters, unreachable);
  expect(hung.verdict).toBe('CRITICAL');
  expect(hung.reasons.map((r) => r.text)).toEqual([expect.stringMatching(/^repository s3:\/\/never\/answers unreachable: /)]);
}, 60_000);

test('a terminal gets a table and one line per reason; the error line names the CRITICAL clusters', async () => {
  const result = await status();
  expect(result.exitCode).toBe(14);
  expect(result.stdout.split('\n')[0]).toMatch(/^Cluster\s+Verdict\s+Running\s+Archiving/);
  expect(result.stdout).toContain(`${unarchived.dataDirectory}: CRITICAL: not archived (archive_mode off)`);
  expect(result.stderr).toMatch(/^pgward: ERROR: 3 cluster\(s\) CRITICAL: /m);
  expect(result.stderr).toMatch(/^HINT: /m);
});

test('--nagios: one line with perfdata, exit 2; only the protected cluster: OK, exit 0', async () => {
  const nagios = await status(['--nagios']);
  expect(nagios.exitCode).toBe(2);
  expect(nagios.stdout).toMatch(/^PGWARD CRITICAL - .* \| clusters=4 ok=1 warning=0 critical=3$/);
  const one = await runPgward(['status', protectedCluster.dataDirectory, '--nagios'], { env: TIMEOUT });
  expect({ exitCode: one.exitCode, stdout: one.stdout }).toEqual({ exitCode: 0, stdout: 'PGWARD OK - 1 cluster(s) protected | clusters=1 ok=1 warning=0 critical=0' });
});

testNeeding([['promtool', 'prometheus']])('--prometheus writes the metrics atomically, and promtool accepts them', async () => {
  const file = join(postgresOwnedDir('textfile-'), 'pgward.prom');
  const result = await status(['--prometheus', file]);
  expect(result.exitCode).toBe(14);
  const text = readFileSync(file, 'utf8');
  expect(statSync(file).mode & 0o777).toBe(0o644);
  expect(readdirSync(join(file, '..'))).toEqual(['pgward.prom']);
  const lint = await execa('promtool', ['check', 'metrics'], { input: text, reject: false });
  expect({ exitCode: lint.exitCode, output: lint.stdout + lint.stderr }).toEqual({ exitCode: 0, output: '' });
  const line = (metric: string, cluster: TestCluster): string | undefined => text.split('\n').find((l) => l.startsWith(`${metric}{`) && l.includes(`cluster="${cluster.dataDirectory}"`));
  expect(line('pgward_status_verdict', protectedCluster)).toMatch(/ 0$/);
  expect(line('pgward_status_verdict', unarchived)).toMatch(/ 2$/);
  expect(line('pgward_repository_reachable', unreachable)).toMatch(/ 0$/);
  expect(line('pgward_verification_newest_success', protectedCluster)).toMatch(/ 1$/);
  expect(line('pgward_wal_archive_complete', protectedCluster)).toMatch(/ 1$/);
  expect(Number(line('pgward_repository_wal_bytes', protectedCluster)?.split(' ')[1])).toBeGreaterThan(0);
  expect(Number(line('pgward_backup_newest_size_bytes', protectedCluster)?.split(' ')[1])).toBeGreaterThan(0);
});

testNeeding([['promtool', 'prometheus']])('the example alerting rules (contrib/) load, and name only metrics pgward writes', async () => {
  const rules = join(REPO_ROOT, 'contrib', 'pgward-alerts.yml');
  const check = await execa('promtool', ['check', 'rules', rules], { reject: false });
  expect({ exitCode: check.exitCode, stderr: check.stderr }).toEqual({ exitCode: 0, stderr: '' });
  const file = join(postgresOwnedDir('textfile-names-'), 'pgward.prom');
  await status(['--prometheus', file]);
  const written = new Set([...readFileSync(file, 'utf8').matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]));
  const named = new Set([...readFileSync(rules, 'utf8').matchAll(/\b(pgward_[a-z_]+)/g)].map((m) => m[1]!).filter((name) => !name.startsWith('pgward_daemon_')));
  expect([...named].filter((name) => !written.has(name))).toEqual([]);
});

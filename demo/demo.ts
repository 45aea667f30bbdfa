// npm run demo: pgward end to end on this machine, no S3 account needed. A throwaway cluster and a
// filesystem repository; data loaded; backup-push with its progress on the terminal; backup-list;
// backup-fetch into a new directory; the copy started and compared with the source. Then the guard
// from the story: a second cluster on another port, PGPORT pointed at it, and backup-push refuses.
// Run as root (PostgreSQL itself runs as the postgres OS user). Everything lives under /tmp and is
// removed at the end.
import { join } from 'node:path';
import { execa } from 'execa';
import { archiveSettings, writePgwardConfig } from '../test/harness/archiving.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type TestCluster } from '../test/harness/postgres.js';
import { PGWARD_BIN, TEST_ROOT } from '../test/harness/paths.js';
import { claimScriptRoot, removeRunRoot } from '../test/harness/strays.js';

const bold = (text: string): string => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${text}\x1b[0m` : text);
const step = (text: string): void => void process.stdout.write(`\n${bold(`==> ${text}`)}\n`);

async function pgward(args: string[], env: Record<string, string> = {}): Promise<number> {
  process.stdout.write(`$ ${Object.entries(env).map(([k, v]) => `${k}=${v} `).join('')}pgward ${args.join(' ')}\n`);
  const result = await execa(process.execPath, [PGWARD_BIN, ...args], {
    env: { PGUSER: 'postgres', PGWARD_LOG_FORMAT: 'text', PGWARD_PROGRESS_INTERVAL: '1', ...env },
    stdio: 'inherit',
    reject: false,
  });
  return result.exitCode ?? -1;
}

async function fingerprint(cluster: TestCluster): Promise<string> {
  const [row] = await cluster.query<{ f: string }>("SELECT count(*) || ' rows, md5 ' || md5(string_agg(t::text, ',' ORDER BY t.id)) AS f FROM demo_orders t");
  return row!.f;
}

const clusters: TestCluster[] = [];
try {
  await claimScriptRoot();
  step('A throwaway PostgreSQL 15 cluster, archiving through pgward, and a filesystem repository');
  const repo = join(postgresOwnedDir('demo-repo-'), 'repo');
  const config = writePgwardConfig({ PGWARD_REPO: `file://${repo}` });
  const source = await createCluster({ version: '15', extraConfig: archiveSettings(config) });
  clusters.push(source);
  process.stdout.write(`cluster: ${source.dataDirectory} on port ${source.port}\nrepository: file://${repo} (settings in ${config})\n`);

  step('Load some data');
  await source.query("CREATE TABLE demo_orders AS SELECT g AS id, md5(g::text) AS item, (random() * 100)::int AS qty FROM generate_series(1, 300000) g");
  process.stdout.write(`demo_orders: ${await fingerprint(source)}\n`);

  step('pgward cluster-info: everything comes from the data directory, verified against the server');
  await pgward(['cluster-info', source.dataDirectory]);

  step('pgward backup-push: the first line names the cluster; then phases and progress');
  if ((await pgward(['backup-push', source.dataDirectory, '--config', config, '--fast-checkpoint'])) !== 0) throw new Error('backup-push failed');

  step('pgward backup-list');
  await pgward(['backup-list', '--config', config]);

  step('pgward backup-fetch into a new directory, then start it');
  const target = join(postgresOwnedDir('demo-restore-'), 'data');
  await pgward(['backup-fetch', target, 'LATEST', '--config', config, '--no-archive']);
  const copy = await clusterFromDataDirectory('15', target);
  clusters.push(copy);
  await copy.start();
  await copy.waitPromoted();
  const before = await fingerprint(source);
  const after = await fingerprint(copy);
  process.stdout.write(`source:   ${before}\nrestored: ${after}\n${before === after ? 'MATCH' : 'MISMATCH'}\n`);
  if (before !== after) throw new Error('restored data differs');

  step("The story's guard: a second cluster on another port, PGPORT pointed at it");
  const other = await createCluster({ version: '17' });
  clusters.push(other);
  process.stdout.write(`second cluster (PostgreSQL 17): ${other.dataDirectory} on port ${other.port}\n`);
  const refused = await pgward(['backup-push', source.dataDirectory, '--config', config], { PGPORT: String(other.port) });
  process.stdout.write(`exit status ${refused}: ${refused === 3 ? 'refused, nothing was backed up from the wrong cluster' : 'UNEXPECTED'}\n`);
  if (refused !== 3) throw new Error('the guard did not refuse');
  step('Done: cleaning up');
} finally {
  for (const cluster of clusters.reverse()) await cluster.destroy();
  await removeRunRoot(TEST_ROOT);
}

// A marker secret (the S3 secret key, a session token, a PostgreSQL password) runs through the whole
// life of a cluster: archiving, the daemon, check, backup-push, lists, backup-fetch and the restored
// server's recovery, wal-fetch, delete, and failures (an endpoint that refuses, one that drops the
// connection, one with the secret written into its URL), all at trace level with --debug. Afterwards
// no output, no log, no file written (the restored postgresql.auto.conf included) and no repository
// object or its metadata on s3rver's disk holds the marker. Only the config file the DBA wrote keeps it.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { archiveSettings, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { daemonSocketPath, startDaemon, type TestDaemon } from '../harness/daemon.js';
import { clusterFromDataDirectory, createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { startS3FaultProxy, type S3FaultProxy } from '../harness/s3-fault-proxy.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';
import { probeSeed, runBounded, summary, type Run } from './probe.js';

const seed = probeSeed();
const MARKERS = ['pgwardMarkerSecret5f3a9c1e7b', 'pgwardMarkerToken0d4e8b2a6c', 'pgwardMarkerPassword91c7e3'];
let s3: TestS3Server;
let proxy: S3FaultProxy;
let cluster: TestCluster;
let restored: TestCluster | undefined;
let daemon: TestDaemon | undefined;
let configFile: string;
let env: Record<string, string>;
const outputs: Array<{ what: string; text: string }> = [];

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('secrets');
  proxy = await startS3FaultProxy(s3.endpoint, { seed });
  // s3rver checks no signature, so the marker can be the secret key itself.
  const repo = { ...s3.env('secrets', 'pg15'), AWS_SECRET_ACCESS_KEY: MARKERS[0]!, AWS_SESSION_TOKEN: MARKERS[1]!, PGWARD_STORAGE_RETRIES: '1', PGWARD_STORAGE_TIMEOUT: '5' };
  env = { ...repo, PGPASSWORD: MARKERS[2]!, PGUSER: 'postgres', PGWARD_LOG_LEVEL: 'trace' };
  configFile = writePgwardConfig({ ...repo, PGWARD_LOG_LEVEL: 'trace' });
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await restored?.destroy();
  try {
    await cluster?.destroy();
  } finally {
    await proxy?.close();
    await s3?.stop();
  }
});

async function run(what: string, args: string[], extra: Record<string, string> = {}): Promise<Run> {
  const result = await runBounded([...args, '--debug'], 120_000, { ...env, ...extra });
  outputs.push({ what: `${what} (exit ${result.exitCode})`, text: result.stdout + result.stderr });
  return result;
}

/** Every regular file under `root` holding a marker. */
function filesWithMarker(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile()) {
        const bytes = readFileSync(path);
        if (MARKERS.some((m) => bytes.includes(m))) found.push(path);
      }
    }
  };
  walk(root);
  return found;
}

test('the marker secret appears in no output, log, written file or repository object', async () => {
  await waitArchived(cluster, await switchWal(cluster));
  const socket = daemonSocketPath('sec-sock-');
  daemon = await startDaemon(cluster.dataDirectory, configFile, socket);
  await cluster.query(`ALTER SYSTEM SET archive_command = '${archiveSettings(writePgwardConfig({ ...env, PGWARD_DAEMON_SOCKET: socket })).archive_command!.replace(/'/g, "''")}'`);
  await cluster.query('SELECT pg_reload_conf()');
  await waitArchived(cluster, await switchWal(cluster));

  expect((await run('check', ['check', cluster.dataDirectory])).exitCode).toBe(0);
  expect((await run('backup-push', ['backup-push', cluster.dataDirectory, '--fast-checkpoint'])).exitCode).toBe(0);
  expect((await run('backup-list', ['backup-list', '--json'])).exitCode).toBe(0);
  await run('wal-list', ['wal-list']);
  await run('repo-info', ['repo-info']);
  await run('cluster-info', ['cluster-info', cluster.dataDirectory]);
  const segment = await switchWal(cluster);
  await waitArchived(cluster, segment);
  expect((await run('wal-fetch', ['wal-fetch', segment, join(postgresOwnedDir('sec-wal-'), segment)], { PGDATA: cluster.dataDirectory })).exitCode).toBe(0);
  await run('delete (dry run)', ['delete', 'retain', '5']);

  const target = join(postgresOwnedDir('sec-restore-'), 'data');
  // restore_command carries no credential from the environment (it would land in
  // postgresql.auto.conf): the restored server reads them from the DBA's config file.
  expect((await run('backup-fetch', ['backup-fetch', target, 'LATEST', '--config', configFile])).exitCode).toBe(0);
  restored = await clusterFromDataDirectory('15', target);
  await restored.start();
  await restored.waitPromoted();
  await restored.stop();

  proxy.addRule({ operation: ['ListObjectsV2', 'GetObject', 'HeadObject'], fault: { kind: 'status', status: 403 } });
  await run('backup-list refused by the store', ['backup-list'], proxy.env({}));
  proxy.clearRules();
  proxy.addRule({ fault: { kind: 'reset' } });
  await run('check with connections dropped', ['check', cluster.dataDirectory], proxy.env({}));
  proxy.clearRules();
  const [host] = s3.endpoint.split('//').slice(1);
  await run('an endpoint with the secret in its URL', ['backup-list'], { PGWARD_S3_ENDPOINT: `http://user:${MARKERS[0]}@${host}` });
  await daemon.stop();
  outputs.push({ what: 'daemon log', text: daemon.output() });
  daemon = undefined;

  const leaks = outputs.filter((o) => MARKERS.some((m) => o.text.includes(m))).map((o) => o.what);
  const s3Directory = (s3 as unknown as { directory: string }).directory;
  const files = [...filesWithMarker(cluster.base), ...filesWithMarker(join(target, '..')), ...filesWithMarker(s3Directory)];
  const line = summary('secrets', seed, { trials: outputs.length, 'faults injected': proxy.injected().length, 'outputs showing a secret': leaks.length, 'files holding a secret': files.length });
  expect({ line, leaks, files }).toEqual({ line, leaks: [], files: [] });
}, 300_000);

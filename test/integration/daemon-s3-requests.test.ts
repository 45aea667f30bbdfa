// What a segment costs in S3 requests through the daemon (issue 12, goal 5), counted by the fault
// proxy in front of a real s3rver: a LIST (every ending of the name, which also answers "is it there")
// and a conditional PUT, with the stamp checked on the daemon's timer and the read-back HEAD once per
// interval rather than per segment. And what the timer must then still catch: a stamp replaced by
// another cluster's stops the daemon serving, uploads ahead included, so nothing more is stored.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { archivingClusterWithDaemon, startDaemon, type TestDaemon } from '../harness/daemon.js';
import { listKeys } from '../harness/s3-client.js';
import type { TestCluster } from '../harness/postgres.js';
import { startS3FaultProxy, type S3FaultProxy } from '../harness/s3-fault-proxy.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

const BUCKET = 'reqcount';
const PREFIX = `p-${randomBytes(4).toString('hex')}`;
let s3: TestS3Server;
let proxy: S3FaultProxy;
let cluster: TestCluster;
let daemon: TestDaemon | undefined;
let socket: string;
let settings: Record<string, string>;

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket(BUCKET);
  proxy = await startS3FaultProxy(s3.endpoint, { seed: 12 });
  // The timer is out of the way here: every request counted below is a segment's.
  ({ cluster, daemon, socket } = await archivingClusterWithDaemon({ ...proxy.env(s3.env(BUCKET, PREFIX)), PGWARD_DAEMON_RECHECK_INTERVAL: '3600' }, 'reqcount-sock-'));
  settings = { ...proxy.env(s3.env(BUCKET, PREFIX)), PGWARD_DAEMON_SOCKET: socket };
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await cluster?.destroy();
  await proxy?.close();
  await s3?.stop();
});

test('through the daemon a segment costs a LIST and a PUT; the read-back HEAD is once per interval', async () => {
  // The first segment archives the start-up's requests out of the way (and takes the read-back).
  await waitArchived(cluster, await switchWal(cluster));
  const mark = proxy.requests.length;
  const segments: string[] = [];
  for (let i = 0; i < 6; i++) segments.push(await switchWal(cluster));
  const state = await waitArchived(cluster, segments.at(-1)!);
  expect(state.failed).toBe(0);

  const requests = proxy.requests.slice(mark);
  const summary = requests.map((r) => `${r.operation} ${r.key ?? r.query['prefix'] ?? ''}`).join('\n');
  const puts = requests.filter((r) => r.operation === 'PutObject');
  const lists = requests.filter((r) => r.operation === 'ListObjectsV2');
  expect(puts.map((r) => r.key!.split('/').pop()!.split('.')[0]).sort()).toEqual(segments);
  expect(lists).toHaveLength(segments.length);
  // No stamp read, no HEAD before the PUT, no HEAD after it (the interval has not passed).
  expect({ requests: requests.length, summary }).toEqual({ requests: 2 * segments.length, summary });
  for (const segment of segments) expect((await listKeys(s3, BUCKET, `${PREFIX}/wal_005/${segment}`)).length).toBe(1);
}, 120_000);

test('a stamp replaced by another cluster’s is found by the timer: nothing more is stored, archiving fails', async () => {
  await daemon!.stop();
  const configFile = writePgwardConfig({ ...settings, PGWARD_DAEMON_RECHECK_INTERVAL: '1' });
  daemon = await startDaemon(cluster.dataDirectory, configFile, socket);
  const client = s3.client();
  try {
    const key = `${PREFIX}/pgward.json`;
    const current = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const stamp = JSON.parse(await current.Body!.transformToString()) as Record<string, string>;
    const foreign = { ...stamp, systemIdentifier: '7000000000000000001' };
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `${JSON.stringify(foreign, null, 2)}\n`, Metadata: current.Metadata }));
  } finally {
    client.destroy();
  }
  const deadline = Date.now() + 20_000;
  while (!/no longer serving/.test(daemon.output())) {
    if (Date.now() > deadline) throw new Error(`the daemon did not refuse: ${daemon.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const before = await cluster.query<{ failed_count: string }>('SELECT failed_count FROM pg_stat_archiver');
  const segment = await switchWal(cluster);
  // PostgreSQL's attempts fail (exit 4 through the daemon's answer) until someone looks.
  const until = Date.now() + 30_000;
  for (;;) {
    const [row] = await cluster.query<{ failed_count: string }>('SELECT failed_count FROM pg_stat_archiver');
    if (Number(row!.failed_count) > Number(before[0]!.failed_count)) break;
    if (Date.now() > until) throw new Error('archiving did not fail');
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(daemon.output()).toMatch(/REPO_IDENTITY_MISMATCH|belongs to|another cluster/);
  expect(await listKeys(s3, BUCKET, `${PREFIX}/wal_005/${segment}`)).toEqual([]);
}, 90_000);

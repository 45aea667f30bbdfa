// The daemon's /metrics (issue 11), opt-in with PGWARD_METRICS_LISTEN: counters move with real
// segments archived through the socket, failures are counted by code, prefetch hits and misses are
// told apart, promtool accepts a real scrape, a scraper that connects and never sends does not delay
// archiving, and a bad address or a port in use is a usage error at start (exit 2), never exit 70.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { archivingClusterWithDaemon, daemonSocketPath, startDaemon, type TestDaemon } from '../harness/daemon.js';
import { freePort } from '../harness/ports.js';
import { postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { testNeeding } from '../harness/tools.js';
import { callDaemon } from '../../src/daemon/client.js';

let cluster: TestCluster;
let daemon: TestDaemon;
let socket: string;
let port: number;

async function scrape(): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The sum of every series of `metric` whose labels contain `labels`. */
function total(text: string, metric: string, labels = ''): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))
    .filter((line) => line.includes(labels))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

beforeAll(async () => {
  port = await freePort();
  ({ cluster, daemon, socket } = await archivingClusterWithDaemon({ PGWARD_REPO: `file://${join(postgresOwnedDir('metrics-repo-'), 'repo')}`, PGWARD_METRICS_LISTEN: `127.0.0.1:${port}` }, 'metrics-sock-'));
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await cluster?.destroy();
});

test('segments archived through the daemon move the counters; anything but GET /metrics is 404', async () => {
  for (let i = 0; i < 3; i++) await waitArchived(cluster, await switchWal(cluster));
  const text = await scrape();
  expect(total(text, 'pgward_daemon_segments_archived_total')).toBeGreaterThanOrEqual(3);
  expect(total(text, 'pgward_daemon_requests_total', 'op="wal-push"')).toBeGreaterThanOrEqual(3);
  expect(total(text, 'pgward_daemon_request_duration_seconds_count', 'op="wal-push"')).toBeGreaterThanOrEqual(3);
  expect(total(text, 'pgward_daemon_wal_bytes_total')).toBeGreaterThanOrEqual(3 * 16 * 1024 * 1024);
  expect(total(text, 'pgward_daemon_uploaded_bytes_total')).toBeGreaterThan(0);
  expect(total(text, 'pgward_daemon_serving')).toBe(1);
  expect(text).toMatch(new RegExp(`^pgward_daemon_info\\{cluster="[^"]+",version="15",system_identifier="\\d+"\\} 1$`, 'm'));
  expect(text).toMatch(/^process_resident_memory_bytes /m);
  expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);
  expect((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status).toBe(404);
});

test('a refused request is counted by its code and exit status', async () => {
  const answer = await callDaemon(socket, { v: 1, id: 7, op: 'wal-push', dataDirectory: '/nonexistent/other', path: 'pg_wal/000000010000000000000001' }, 5000);
  expect(answer).toMatchObject({ ok: false, code: 'CLUSTER_IDENTITY_MISMATCH', exitCode: 3 });
  expect(total(await scrape(), 'pgward_daemon_request_failures_total', 'code="CLUSTER_IDENTITY_MISMATCH",exit_code="3"')).toBe(1);
});

test('wal-fetch: a miss, then the prefetched next segment is a hit', async () => {
  const first = await switchWal(cluster);
  const second = await switchWal(cluster);
  await waitArchived(cluster, await switchWal(cluster));
  const destination = postgresOwnedDir('metrics-fetch-');
  const fetchOne = (segment: string) => callDaemon(socket, { v: 1, id: 1, op: 'wal-fetch', dataDirectory: cluster.dataDirectory, segment, destination: join(destination, segment) }, 10_000);
  expect(await fetchOne(first)).toMatchObject({ ok: true, status: 'restored' });
  const until = Date.now() + 10_000;
  while (!(await scrape()).includes('pgward_daemon_prefetch_total{result="miss"} 1') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500));
  expect(await fetchOne(second)).toMatchObject({ ok: true, status: 'restored' });
  const text = await scrape();
  expect(total(text, 'pgward_daemon_prefetch_total', 'result="miss"')).toBe(1);
  expect(total(text, 'pgward_daemon_prefetch_total', 'result="hit"')).toBe(1);
});

test('a scraper that connects and never sends does not delay archiving', async () => {
  const stuck: Socket[] = [];
  for (let i = 0; i < 20; i++) stuck.push(connect(port, '127.0.0.1'));
  try {
    const started = Date.now();
    await waitArchived(cluster, await switchWal(cluster), 20_000);
    // One segment takes well under a second here; the bound leaves room for a loaded CI machine.
    expect(Date.now() - started).toBeLessThan(10_000);
  } finally {
    for (const s of stuck) s.destroy();
  }
});

testNeeding([['promtool', 'prometheus']])('promtool accepts a real scrape', async () => {
  const lint = await execa('promtool', ['check', 'metrics'], { input: await scrape(), reject: false });
  expect({ exitCode: lint.exitCode, output: lint.stdout + lint.stderr }).toEqual({ exitCode: 0, output: '' });
});

test('a malformed address or a port in use: exit 2 at start with a hint', async () => {
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  try {
    for (const [value, message] of [
      ['9187', /PGWARD_METRICS_LISTEN "9187" .* is not host:port/],
      [`127.0.0.1:${(busy.address() as { port: number }).port}`, /cannot serve metrics on 127\.0\.0\.1:\d+: the address is in use/],
    ] as const) {
      const config = writePgwardConfig({ PGWARD_REPO: `file://${join(postgresOwnedDir('metrics-bad-'), 'repo')}`, PGWARD_METRICS_LISTEN: value });
      const other = await startDaemon(cluster.dataDirectory, config, daemonSocketPath('metrics-bad-sock-'));
      expect(await other.exited).toBe(2);
      expect(other.output()).toMatch(message);
      expect(other.output()).not.toMatch(/^\s+at /m);
    }
  } finally {
    busy.close();
  }
});

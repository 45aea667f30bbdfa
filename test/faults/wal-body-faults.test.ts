// wal-push and wal-fetch by hand, segment after segment, while the proxy damages answers inside their
// bodies: cut short (well-formed but truncated), reset mid-body, one byte flipped. A push may fail
// (PostgreSQL retries) but never with exit 70 and never acknowledging a segment not stored intact; a
// fetch either restores the exact bytes or fails with a storage or integrity code, never "not in
// archive" (1) for a segment that is there.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { switchWal, writePgwardConfig } from '../harness/archiving.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { startS3FaultProxy, type Fault, type S3FaultProxy } from '../harness/s3-fault-proxy.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';
import { probeSeed, runBounded, summary, verifySegments } from './probe.js';

const seed = probeSeed();
const SEGMENTS = 12;
const BODY_FAULTS: readonly Fault[] = [{ kind: 'truncate' }, { kind: 'reset-response' }, { kind: 'flip-response' }];
let s3: TestS3Server;
let proxy: S3FaultProxy;
let cluster: TestCluster;
let faultyConfig: string;
let directConfig: string;
const segments: string[] = [];

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('walbody');
  proxy = await startS3FaultProxy(s3.endpoint, { seed });
  const direct = s3.env('walbody', 'pg15');
  directConfig = writePgwardConfig(direct);
  faultyConfig = writePgwardConfig({ ...proxy.env(direct), PGWARD_STORAGE_RETRIES: '3', PGWARD_NO_DAEMON: 'true', PGWARD_WAL_FETCH_RETRY: '20' });
  // Archiving on but failing: the segments stay in pg_wal for the probe to push by hand.
  cluster = await createCluster({ version: '15', extraConfig: { archive_mode: 'on', archive_command: '/bin/false', wal_keep_size: '1GB' } });
  for (let i = 0; i <= SEGMENTS; i++) segments.push(await switchWal(cluster));
  segments.pop();
}, 90_000);

afterAll(async () => {
  try {
    await cluster?.destroy();
  } finally {
    await proxy?.close();
    await s3?.stop();
  }
});

test('wal-push and wal-fetch with answers cut, reset or flipped inside the body', async () => {
  // Every GET, HEAD and LIST, the repository stamp included.
  proxy.addRule({ operation: ['GetObject', 'HeadObject', 'ListObjectsV2'], rate: 0.3, fault: BODY_FAULTS });
  const stories: string[] = [];
  const push = { attempts: 0, exit70: 0, hangs: 0, acknowledged: [] as string[] };
  for (const segment of segments) {
    // PostgreSQL would retry a failed push: three attempts each.
    for (let attempt = 0; attempt < 3; attempt++) {
      const firstRequest = proxy.requests.length;
      const run = await runBounded(['--config', faultyConfig, 'wal-push', join(cluster.dataDirectory, 'pg_wal', segment)], 60_000, { PGDATA: cluster.dataDirectory });
      push.attempts++;
      if (run.hung || run.ms > 35_000) push.hangs++;
      if (run.exitCode === 70) {
        push.exit70++;
        const faults = proxy.requests.slice(firstRequest).filter((r) => r.fault).map((r) => `${r.fault} on ${r.operation} ${r.key ?? ''}`);
        stories.push(`wal-push ${segment}: exit 70 after ${JSON.stringify(faults)}: ${run.stderr.slice(-600)}`);
      }
      if (run.exitCode === 0) {
        push.acknowledged.push(segment);
        break;
      }
    }
  }
  const pushFaults = proxy.injected().length;
  const verdicts = await verifySegments(cluster.dataDirectory, push.acknowledged, directConfig);
  const wrong = push.acknowledged.filter((s) => verdicts[s] !== 'exact');

  proxy.clearRules();
  // Flipped listings too: one flipped byte can hide the segment in an answer that still parses, so
  // wal-fetch says "not in the archive" only when a second listing agrees.
  proxy.addRule({ operation: ['GetObject', 'HeadObject', 'ListObjectsV2'], rate: 0.3, fault: BODY_FAULTS });
  const fetch = { attempts: 0, exit70: 0, hangs: 0, notInArchive: 0, different: 0, exact: 0 };
  const scratch = postgresOwnedDir('walbody-');
  for (const segment of push.acknowledged) {
    const target = join(scratch, segment);
    const firstRequest = proxy.requests.length;
    const run = await runBounded(['--config', faultyConfig, 'wal-fetch', segment, target], 60_000, { PGDATA: cluster.dataDirectory });
    fetch.attempts++;
    if (run.exitCode === 1 || run.exitCode === 70) {
      const faults = proxy.requests.slice(firstRequest).filter((r) => r.fault).map((r) => `${r.fault} on ${r.operation} ${r.key ?? ''}`);
      stories.push(`wal-fetch ${segment}: exit ${run.exitCode} after ${JSON.stringify(faults)}: ${run.stderr.slice(-300)}`);
    }
    if (run.hung || run.ms > 35_000) fetch.hangs++;
    if (run.exitCode === 70) {
      fetch.exit70++;
      stories.push(`wal-fetch ${segment}: exit 70: ${run.stderr.split('\n').filter((l) => /ERROR|HINT/.test(l)).join(' / ')}`);
    }
    if (run.exitCode === 1) fetch.notInArchive++;
    if (run.exitCode === 0) {
      if (readFileSync(target).equals(readFileSync(join(cluster.dataDirectory, 'pg_wal', segment)))) fetch.exact++;
      else fetch.different++;
    }
  }
  proxy.clearRules();
  const lines = [
    summary('wal-push body faults', seed, { trials: push.attempts, 'faults injected': pushFaults, 'segments acknowledged': push.acknowledged.length, 'wrong acknowledgements': wrong.length, 'hangs past bound': push.hangs, 'exit 70:': push.exit70 }),
    summary('wal-fetch body faults', seed, { trials: fetch.attempts, 'faults injected': proxy.injected().length - pushFaults, 'restored exact': fetch.exact, 'restored different': fetch.different, 'wrongly not in archive': fetch.notInArchive, 'hangs past bound': fetch.hangs, 'exit 70:': fetch.exit70 }),
  ];
  if (stories.length > 0) process.stderr.write(`${stories.join('\n')}\n`);
  const bad = wrong.length + push.hangs + push.exit70 + fetch.different + fetch.notInArchive + fetch.hangs + fetch.exit70;
  expect({ lines, stories, bad }).toEqual({ lines, stories, bad: 0 });
  expect({ stories, acknowledged: push.acknowledged.length > SEGMENTS / 2 }).toEqual({ stories, acknowledged: true });
}, 420_000);

test('wal-fetch through a body that pauses for 3 s or trickles: the exact bytes, within the bound', async () => {
  // A pause that ends and a slow but steady body, where today's request timeout holds; a body that
  // stalls for good is the storage branch's bound (issue 9: wal-fetch hung 150-190 s).
  proxy.clearRules();
  // The body-fault test may have given up on a segment: store these four first (a second push of the
  // same bytes is a no-op).
  for (const segment of segments.slice(0, 4)) {
    const push = await runBounded(['--config', directConfig, 'wal-push', join(cluster.dataDirectory, 'pg_wal', segment)], 60_000, { PGDATA: cluster.dataDirectory, PGWARD_NO_DAEMON: 'true' });
    expect(push.exitCode).toBe(0);
  }
  const injectedBefore = proxy.injected().length;
  proxy.addRule({ operation: 'GetObject', key: /wal_005\//, fault: [{ kind: 'stall-body', fraction: 0.5, ms: 3000 }, { kind: 'trickle', bytes: 256 * 1024, everyMs: 100 }] });
  const scratch = postgresOwnedDir('walslow-');
  const outcomes: string[] = [];
  let bad = 0;
  let exit70 = 0;
  let hangs = 0;
  for (const segment of segments.slice(0, 4)) {
    const target = join(scratch, segment);
    const run = await runBounded(['--config', faultyConfig, 'wal-fetch', segment, target], 60_000, { PGDATA: cluster.dataDirectory });
    outcomes.push(`${segment}: exit ${run.exitCode} in ${run.ms} ms`);
    if (run.exitCode === 70) exit70++;
    if (run.hung || run.ms > 35_000) hangs++;
    if (run.exitCode !== 0 || !readFileSync(target).equals(readFileSync(join(cluster.dataDirectory, 'pg_wal', segment)))) bad++;
  }
  proxy.clearRules();
  const line = summary('wal-fetch slow bodies', seed, { trials: outcomes.length, 'faults injected': proxy.injected().length - injectedBefore, 'not restored exact': bad, 'hangs past bound': hangs, 'exit 70:': exit70 });
  expect({ line, outcomes, bad, hangs }).toEqual({ line, outcomes, bad: 0, hangs: 0 });
}, 300_000);

// The daemon as a service: PostgreSQL archives through it (byte-exact, nothing failed), stopping it
// mid-run loses nothing because archive_command falls back to working alone, a restart resumes;
// 1,000 concurrent clients and garbage on the socket neither crash it nor get anything acknowledged;
// a daemon pointed at another cluster's repository refuses to start.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { archiveSettings, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { listKeys } from '../harness/s3-client.js';
import { archivingClusterWithDaemon, startDaemon, type TestDaemon } from '../harness/daemon.js';
import { PG_BIN_DIRS } from '../harness/paths.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';
import { callDaemon } from '../../src/daemon/client.js';
import { encodeFrame } from '../../src/daemon/protocol.js';

let s3: TestS3Server;
let cluster: TestCluster;
let configFile: string;
let socket: string;
let daemon: TestDaemon | undefined;

const keys = (prefix: string): Promise<string[]> => listKeys(s3, 'daemon', prefix);

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('daemon');
  ({ cluster, daemon, socket, configFile } = await archivingClusterWithDaemon(s3.env('daemon', 'pg15')));
}, 60_000);

afterAll(async () => {
  await daemon?.stop();
  await cluster?.destroy();
  await s3?.stop();
});

function pgbench(args: string[]) {
  const conn = cluster.connection();
  return execa(join(PG_BIN_DIRS['15']!, 'pgbench'), ['-h', conn.host, '-p', String(conn.port), '-U', 'postgres', ...args, 'postgres']);
}

describe('archiving through the daemon', () => {
  test('a pgbench run of a few hundred MB of WAL is archived through the daemon, failed_count 0, every object byte-exact', async () => {
    await pgbench(['-i', '-s', '20', '-q']);
    const last = await switchWal(cluster);
    const stats = await waitArchived(cluster, last);
    expect(stats.failed).toBe(0);
    const walDir = join(cluster.dataDirectory, 'pg_wal');
    const done = readdirSync(join(walDir, 'archive_status')).filter((f) => f.endsWith('.done')).map((f) => f.slice(0, -5));
    expect(await keys('pg15/wal_005/')).toEqual(done.map((n) => `pg15/wal_005/${n}.lz4`).sort());
    const client = s3.client();
    try {
      for (const name of done.filter((n) => /^[0-9A-F]{24}$/.test(n))) {
        const out = await client.send(new GetObjectCommand({ Bucket: 'daemon', Key: `pg15/wal_005/${name}.lz4` }));
        const { stdout } = await execa('lz4', ['-d', '-c'], { input: Buffer.from(await out.Body!.transformToByteArray()), encoding: 'buffer', stripFinalNewline: false });
        expect(Buffer.compare(Buffer.from(stdout), readFileSync(join(walDir, name)))).toBe(0);
      }
    } finally {
      client.destroy();
    }
  }, 120_000);

  test('wal-fetch through the daemon prefetches the next segments and serves them by rename', async () => {
    const walDir = join(cluster.dataDirectory, 'pg_wal');
    const segments = readdirSync(join(walDir, 'archive_status'))
      .filter((f) => /^[0-9A-F]{24}\.done$/.test(f))
      .map((f) => f.slice(0, 24))
      .sort();
    const [first, second] = segments as [string, string];
    const fetch = (segment: string, dest: string) =>
      callDaemon(socket, { v: 1, id: 1, op: 'wal-fetch', dataDirectory: cluster.dataDirectory, segment, destination: join(walDir, dest) }, 30_000);
    expect(await fetch(first, 'PGWARDTEST1')).toMatchObject({ ok: true, status: 'restored' });
    const prefetched = join(walDir, '.pgward-prefetch', second);
    const until = Date.now() + 20_000;
    while (!existsSync(prefetched)) {
      if (Date.now() > until) throw new Error('nothing prefetched');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await fetch(second, 'PGWARDTEST2')).toMatchObject({ ok: true, status: 'restored' });
    expect(existsSync(prefetched)).toBe(false);
    expect(Buffer.compare(readFileSync(join(walDir, 'PGWARDTEST2')), readFileSync(join(walDir, second)))).toBe(0);
    expect((await fetch('0000000100000000000000FF', 'PGWARDTEST3'))).toMatchObject({ ok: false, exitCode: 1 });
    rmSync(join(walDir, 'PGWARDTEST1'));
    rmSync(join(walDir, 'PGWARDTEST2'));
  }, 60_000);

  test('stopping the daemon mid-run loses nothing (archive_command falls back); a restart resumes', async () => {
    const [before] = await cluster.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    const load = pgbench(['-T', '4', '-c', '2', '-n']);
    // Stop the daemon once the load is writing WAL (1 MB past the start), not after a guessed pause.
    const until = Date.now() + 30_000;
    for (;;) {
      const [row] = await cluster.query<{ written: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text AS written', [before!.lsn]);
      if (Number(row!.written) > 1 << 20) break;
      if (Date.now() > until) throw new Error('pgbench wrote no WAL in 30 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await daemon!.stop()).toBe(0);
    // The first test's segments went through the daemon: it counts the requests it served.
    const served = Number(/"served":(\d+)/.exec(daemon!.output())?.[1] ?? 0);
    expect(served).toBeGreaterThan(0);
    await load;
    const whileStopped = await switchWal(cluster);
    const stats = await waitArchived(cluster, whileStopped);
    expect(stats.failed).toBe(0);
    daemon = await startDaemon(cluster.dataDirectory, configFile, socket);
    const after = await switchWal(cluster);
    expect((await waitArchived(cluster, after)).failed).toBe(0);
    const done = readdirSync(join(cluster.dataDirectory, 'pg_wal', 'archive_status')).filter((f) => f.endsWith('.done')).map((f) => f.slice(0, -5));
    const archived = await keys('pg15/wal_005/');
    for (const name of done) expect(archived).toContain(`pg15/wal_005/${name}.lz4`);
  }, 120_000);
});

describe('the socket under abuse', () => {
  function rawExchange(payload: Buffer, end = true): Promise<Buffer> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const s = connect(socket);
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('error', () => resolve(Buffer.concat(chunks)));
      s.on('close', () => resolve(Buffer.concat(chunks)));
      s.on('connect', () => (end ? s.end(payload) : s.write(payload)));
      setTimeout(() => s.destroy(), 3000);
    });
  }

  test('1,000 concurrent clients are all answered', async () => {
    const answers = await Promise.all(Array.from({ length: 1000 }, (_, i) => callDaemon(socket, { v: 1, id: i + 1, op: 'ping' }, 20_000)));
    expect(answers.filter((a) => a?.ok).length).toBe(1000);
  }, 60_000);

  test('garbage, truncated and oversized frames: nothing acknowledged, nothing stored, the daemon lives on', async () => {
    const before = await keys('pg15/');
    const truncated = Buffer.alloc(4);
    truncated.writeUInt32BE(100, 0);
    const oversized = Buffer.alloc(4);
    oversized.writeUInt32BE(10 * 1024 * 1024, 0);
    const fakePush = encodeFrame({ v: 1, id: 5, op: 'wal-push', dataDirectory: cluster.dataDirectory, path: '/etc/passwd' });
    const payloads = [randomBytes(5000), Buffer.concat([truncated, Buffer.from('{"v":1')]), oversized, encodeFrame({ hello: 'world' }), Buffer.from('GET / HTTP/1.1\r\n\r\n')];
    for (const payload of payloads) {
      const reply = await rawExchange(payload);
      expect(reply.toString()).not.toMatch(/"ok":true/);
    }
    const pushReply = (await rawExchange(fakePush)).toString();
    expect(pushReply).toMatch(/"ok":false/);
    expect(await keys('pg15/')).toEqual(before);
    expect((await callDaemon(socket, { v: 1, id: 9, op: 'ping' }, 5000))?.ok).toBe(true);
    expect(daemon!.child.exitCode).toBeNull();
  }, 60_000);

  test('a request for another data directory is refused (exit 3)', async () => {
    const reply = await callDaemon(socket, { v: 1, id: 3, op: 'wal-push', dataDirectory: '/var/lib/postgresql/15/main', path: '/x/pg_wal/000000010000000000000001' }, 5000);
    expect(reply).toMatchObject({ ok: false, exitCode: 3 });
  });
});

test("two clusters, one daemon each: each archives only its own; a daemon pointed at the other's repository refuses to start", async () => {
  const dir = postgresOwnedDir('daemon-sock2-');
  const otherSocket = join(dir, 'o.sock');
  const otherConfig = writePgwardConfig({ ...s3.env('daemon', 'pg17'), PGWARD_DAEMON_SOCKET: otherSocket });
  const other = await createCluster({ version: '17', extraConfig: archiveSettings(otherConfig) });
  let otherDaemon: TestDaemon | undefined;
  try {
    const wrong = await startDaemon(other.dataDirectory, configFile, join(dir, 'wrong.sock'));
    expect(await wrong.exited).toBe(4);
    expect(wrong.output()).toMatch(/belongs to cluster/);

    const before15 = await keys('pg15/');
    otherDaemon = await startDaemon(other.dataDirectory, otherConfig, otherSocket);
    const segment = await switchWal(other);
    expect((await waitArchived(other, segment)).failed).toBe(0);
    expect(await keys('pg17/')).toContain(`pg17/wal_005/${segment}.lz4`);
    // Nothing of the 17 cluster went to the 15 cluster's prefix (the 15 cluster is idle here).
    expect(await keys('pg15/')).toEqual(before15);
    await otherDaemon.stop();
    expect(Number(/"served":(\d+)/.exec(otherDaemon.output())?.[1] ?? 0)).toBeGreaterThan(0);
  } finally {
    await otherDaemon?.stop();
    await other.destroy();
  }
}, 90_000);

// A storage failure during a restore is a storage error (issue 8, item 6): an S3 connection reset while
// a partition streams is exit 6 with a hint about the repository, not 8 ("the stored object is
// damaged; use another backup"), and the same restore succeeds once storage behaves. The fault is
// injected at the process edge: a TCP proxy in front of a real S3 server that cuts the connection a
// little way into the first partition's body.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readdirSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { archiveSettings, pushBackup, writePgwardConfig } from '../harness/archiving.js';
import { runPgward } from '../harness/cli.js';
import { expectCleanError } from '../harness/expect-error.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';

let s3: TestS3Server;
let source: TestCluster;
let proxy: Server;
let cuts = 0;
let cutting = true;
let backup: string;
let proxiedConfig: string;
const sockets = new Set<Socket>();

/** Forwards to s3rver; while `cutting`, resets a connection 64 KiB into a partition's response. */
function startProxy(upstreamPort: number): Promise<number> {
  proxy = createServer((client) => {
    const upstream = connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let armed = false;
    let bytes = 0;
    client.on('data', (chunk: Buffer) => {
      if (cutting && /^GET \S*tar_partitions\/part_/m.test(chunk.toString('latin1'))) armed = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (armed && (bytes += chunk.length) > 64 * 1024) {
        cuts++;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return new Promise((resolve) => proxy.listen(0, '127.0.0.1', () => resolve((proxy.address() as { port: number }).port)));
}

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('restore');
  const env = s3.env('restore', 'p');
  const configFile = writePgwardConfig({ ...env, PGWARD_BACKUP_WAL_TIMEOUT: '60' });
  source = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  await source.query('CREATE TABLE filler AS SELECT g, md5(g::text) AS m FROM generate_series(1, 100000) g');
  backup = await pushBackup(source, configFile);
  const port = await startProxy(s3.port);
  proxiedConfig = writePgwardConfig({ ...env, PGWARD_S3_ENDPOINT: `http://127.0.0.1:${port}` });
}, 90_000);

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => (proxy ? proxy.close(resolve) : resolve(undefined)));
  await source?.destroy();
  await s3?.stop();
});

describe('an S3 connection reset mid-partition', () => {
  test('exit 6 naming the object, nothing left in the target; the same restore then succeeds', async () => {
    const parent = postgresOwnedDir('reset-');
    const target = join(parent, 'data');
    const failed = await runPgward(['backup-fetch', target, backup, '--config', proxiedConfig]);
    expect(cuts).toBeGreaterThan(0);
    expectCleanError(failed, 6, new RegExp(`reading s3://restore/p/basebackups_005/${backup}/tar_partitions/part_\\d+\\.tar\\.lz4 failed`));
    expect(failed.stderr).toMatch(/HINT: the repository connection or storage failed mid-stream/);
    expect(readdirSync(parent)).toEqual([]);
    cutting = false;
    const ok = await runPgward(['backup-fetch', target, backup, '--config', proxiedConfig]);
    expect(ok.exitCode).toBe(0);
  }, 60_000);
});

// wal-fetch into a full file system (a small tmpfs as pg_wal's place): a restore-target error (10)
// naming the destination and ENOSPC, never "not in archive" (1, which would end recovery early) nor
// an integrity failure (8, "your archive is damaged"), and no partial or temporary file left behind.
// Tried with no room at all, with room for part of a segment, and with room taken by other files.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { readdirSync, writeFileSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { archiveSettings, switchWal, waitArchived, writePgwardConfig } from '../harness/archiving.js';
import { osUser } from '../harness/os-user.js';
import { createCluster, postgresOwnedDir, type TestCluster } from '../harness/postgres.js';
import { startS3rver, type TestS3Server } from '../harness/s3rver.js';
import { runBounded, summary } from './probe.js';

let s3: TestS3Server;
let cluster: TestCluster;
let configFile: string;
let segment: string;
const mounts: string[] = [];

beforeAll(async () => {
  s3 = await startS3rver();
  await s3.createBucket('diskfull');
  configFile = writePgwardConfig(s3.env('diskfull', 'pg15'));
  cluster = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  segment = await switchWal(cluster);
  await waitArchived(cluster, segment);
}, 60_000);

afterAll(async () => {
  for (const dir of mounts) await execa('umount', [dir], { reject: false });
  try {
    await cluster?.destroy();
  } finally {
    await s3?.stop();
  }
});

async function smallFileSystem(size: string): Promise<string> {
  const mount = postgresOwnedDir('tmpfs-');
  await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', mount]);
  mounts.push(mount);
  const user = osUser('postgres');
  chownSync(mount, user.uid, user.gid);
  return mount;
}

test('wal-fetch into a full tmpfs: exit 10 naming the destination, nothing left', async () => {
  const cases: Array<[string, string, (mount: string) => void]> = [
    ['no room (64 KiB)', '64k', () => undefined],
    ['room for half a segment', '8m', () => undefined],
    ['room taken by other files', '20m', (mount) => writeFileSync(join(mount, 'ballast'), Buffer.alloc(12 * 1024 * 1024))],
  ];
  const outcomes: string[] = [];
  let wrong = 0;
  let exit70 = 0;
  for (const [what, size, prepare] of cases) {
    const mount = await smallFileSystem(size);
    prepare(mount);
    const before = readdirSync(mount);
    const destination = join(mount, 'RECOVERYXLOG');
    const run = await runBounded(['--config', configFile, 'wal-fetch', segment, destination], 90_000, { PGDATA: cluster.dataDirectory, PGWARD_NO_DAEMON: 'true' });
    const error = run.stderr.split('\n').find((line) => line.startsWith('pgward: ERROR:')) ?? '';
    const left = readdirSync(mount).filter((name) => !before.includes(name));
    outcomes.push(`${what}: exit ${run.exitCode}, left ${JSON.stringify(left)}, ${error}`);
    if (run.exitCode === 70) exit70++;
    if (run.exitCode !== 10 || !error.includes(destination) || !/ENOSPC/.test(error) || left.length > 0 || !/^HINT: /m.test(run.stderr)) wrong++;
  }
  const line = summary('wal-fetch disk full', undefined, { trials: cases.length, 'faults injected': cases.length, 'wrong exit or message': wrong, 'exit 70:': exit70 });
  expect({ line, outcomes, wrong }).toEqual({ line, outcomes, wrong: 0 });
});

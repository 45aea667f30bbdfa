// jest global set-up of the projects that start servers (contract, integration): a fresh run root of
// this run's own, handed to the workers through PGWARD_TEST_ROOT, and the roots of earlier runs that
// died cleaned up. Unit tests start nothing and get no set-up.
import { chmodSync, mkdtempSync } from 'node:fs';
import { RUN_ROOT_PREFIX } from './paths.js';
import { join } from 'node:path';
import { RGW_ENDPOINT_ENV, rgwRequested, startRgw } from './rgw-server.js';
import { claimRunRoot, removeAbandonedRunRoots } from './strays.js';

export default async function globalSetup(): Promise<void> {
  // Both projects name this module: the second call reuses the root the first made.
  if (process.env.PGWARD_TEST_ROOT_OWNER === String(process.pid)) return;
  const stopped = await removeAbandonedRunRoots();
  if (stopped > 0) process.stderr.write(`\ntest harness: stopped ${stopped} PostgreSQL server(s) left by an earlier run that died\n`);
  const root = process.env.PGWARD_TEST_ROOT ?? mkdtempSync(RUN_ROOT_PREFIX);
  claimRunRoot(root);
  chmodSync(root, 0o755);
  process.env.PGWARD_TEST_ROOT = root;
  process.env.PGWARD_TEST_ROOT_OWNER = String(process.pid);
  if (rgwRequested()) {
    const started = Date.now();
    process.env[RGW_ENDPOINT_ENV] = await startRgw(join(root, 'rgw'));
    process.stderr.write(`\ntest harness: Ceph RADOS Gateway on ${process.env[RGW_ENDPOINT_ENV]} (started in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  }
}

import { mkdirSync, chmodSync } from 'node:fs';
import { TEST_ROOT } from './paths.js';
import { stopStrayServers } from './strays.js';

export default async function globalSetup(): Promise<void> {
  const stopped = await stopStrayServers();
  if (stopped > 0) process.stderr.write(`\ntest harness: stopped ${stopped} PostgreSQL server(s) left by an earlier run\n`);
  mkdirSync(TEST_ROOT, { recursive: true });
  chmodSync(TEST_ROOT, 0o755);
}

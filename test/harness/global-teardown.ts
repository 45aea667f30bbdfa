import { removeRunRoot } from './strays.js';

export default async function globalTeardown(): Promise<void> {
  const root = process.env.PGWARD_TEST_ROOT;
  if (!root || process.env.PGWARD_TEST_ROOT_OWNER !== String(process.pid)) return;
  await removeRunRoot(root);
  delete process.env.PGWARD_TEST_ROOT_OWNER;
  delete process.env.PGWARD_TEST_RGW_ENDPOINT;
}

import { stopStrayServers } from './strays.js';

export default async function globalTeardown(): Promise<void> {
  await stopStrayServers();
}

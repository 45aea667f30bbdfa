// Postmasters outlive a crashed test run (they are reparented to PID 1). Before and after a run, every
// server under TEST_ROOT is stopped by the pid in its own postmaster.pid, after checking through
// /proc that the pid really is the postmaster of that directory, never by process name.
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_ROOT } from './paths.js';

function postmasterOf(dataDirectory: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDirectory, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return readlinkSync(`/proc/${pid}/cwd`) === dataDirectory ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!existsSync(`/proc/${pid}`)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

export async function stopStrayServers(): Promise<number> {
  if (!existsSync(TEST_ROOT)) return 0;
  let stopped = 0;
  for (const entry of readdirSync(TEST_ROOT)) {
    const base = join(TEST_ROOT, entry);
    for (const sub of existsSync(base) ? readdirSync(base) : []) {
      const pid = postmasterOf(join(base, sub));
      if (pid === undefined) continue;
      process.kill(pid, 'SIGQUIT');
      if (!(await waitGone(pid, 5000))) process.kill(pid, 'SIGKILL');
      stopped++;
    }
  }
  rmSync(TEST_ROOT, { recursive: true, force: true });
  return stopped;
}

// Postmasters outlive a crashed test run (they are reparented to PID 1). Servers are stopped only
// under a run root this process owns, or one whose owner process is gone: by the pid in their own
// postmaster.pid, after checking through /proc that the pid really is the postmaster of that
// directory, never by process name. Another checkout's live run is never touched.
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { OWNER_FILE, RUN_ROOT_PREFIX, TEST_ROOT } from './paths.js';
import { stopRgw } from './rgw-server.js';

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

/** Stops every server two levels below root (root/<test folder>/<data directory>); returns how many. */
export async function stopServersUnder(root: string): Promise<number> {
  if (!existsSync(root)) return 0;
  let stopped = 0;
  for (const entry of readdirSync(root)) {
    const base = join(root, entry);
    let subs: string[] = [];
    try {
      subs = readdirSync(base);
    } catch {
      continue;
    }
    for (const sub of subs) {
      const pid = postmasterOf(join(base, sub));
      if (pid === undefined) continue;
      process.kill(pid, 'SIGQUIT');
      if (!(await waitGone(pid, 5000))) process.kill(pid, 'SIGKILL');
      stopped++;
    }
  }
  return stopped;
}

export async function removeRunRoot(root: string): Promise<number> {
  await stopRgw(join(root, 'rgw'));
  const stopped = await stopServersUnder(root);
  rmSync(root, { recursive: true, force: true });
  return stopped;
}

/** Marks root as owned by this process. */
export function claimRunRoot(root: string): void {
  mkdirSync(root, { recursive: true, mode: 0o755 });
  writeFileSync(join(root, OWNER_FILE), `${process.pid}\n`);
}

function ownerAlive(root: string): boolean {
  try {
    const pid = Number(readFileSync(join(root, OWNER_FILE), 'utf8'));
    return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`);
  } catch {
    // No owner file: a root being created right now, or not ours to judge. Leave it.
    return true;
  }
}

/** Removes run roots left by runs whose owner process has died; returns the servers stopped. */
export async function removeAbandonedRunRoots(): Promise<number> {
  const parent = dirname(RUN_ROOT_PREFIX);
  const stem = RUN_ROOT_PREFIX.slice(parent.length + 1);
  let stopped = 0;
  for (const entry of readdirSync(parent)) {
    const root = join(parent, entry);
    if (!entry.startsWith(stem) || root === TEST_ROOT || ownerAlive(root)) continue;
    stopped += await removeRunRoot(root);
  }
  return stopped;
}

/** For scripts (demo, bench): clean abandoned roots, then claim this process's own. */
export async function claimScriptRoot(): Promise<void> {
  const stopped = await removeAbandonedRunRoots();
  if (stopped > 0) process.stderr.write(`stopped ${stopped} PostgreSQL server(s) left by an earlier run that died\n`);
  claimRunRoot(TEST_ROOT);
}

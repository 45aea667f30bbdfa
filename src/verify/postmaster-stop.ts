// Stopping a postmaster by its pid: fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL,
// each bounded, so no verification ever leaves a server behind.
import { existsSync } from 'node:fs';

async function gone(pid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!existsSync(`/proc/${pid}`)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !existsSync(`/proc/${pid}`);
}

export async function stopPostmaster(pid: number, fastMs: number): Promise<void> {
  for (const [signal, ms] of [['SIGINT', fastMs], ['SIGQUIT', 10_000], ['SIGKILL', 5_000]] as const) {
    try {
      process.kill(pid, signal);
    } catch {
      return;
    }
    if (await gone(pid, ms)) return;
  }
}

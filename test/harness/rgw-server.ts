// A real S3 server beside s3rver: Ceph's RADOS Gateway, one node on loopback (rgw/start.sh beside
// this file). s3rver ignores If-None-Match, the 5 MiB minimum part, AbortMultipartUpload and signatures;
// RGW honours them, so the storage contract and the S3 end-to-end tests also run against it when
// PGWARD_TEST_RGW=1 (CI sets it). It is started once per jest run by the global set-up, which hands
// its endpoint to the workers through the environment, and stopped by the teardown.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT } from './paths.js';
import { freePort } from './ports.js';

export const RGW_ACCESS_KEY = 'PGWARDTESTRGWKEY';
export const RGW_SECRET_KEY = 'pgwardTestRgwSecretNotARealKey';
export const RGW_ENDPOINT_ENV = 'PGWARD_TEST_RGW_ENDPOINT';
const START_BOUND_MS = 120_000;

/** Whether this run asked for RGW (PGWARD_TEST_RGW=1). */
export function rgwRequested(): boolean {
  return process.env.PGWARD_TEST_RGW === '1';
}

function logTails(dir: string): string {
  const logs = join(dir, 'log');
  if (!existsSync(logs)) return '';
  return readdirSync(logs)
    .map((name) => `--- ${name}\n${readFileSync(join(logs, name), 'utf8').split('\n').slice(-15).join('\n')}`)
    .join('\n');
}

/** Starts the one-node cluster under dir; returns its S3 endpoint. Fails with the daemons' logs. */
export async function startRgw(dir: string): Promise<string> {
  const script = join(REPO_ROOT, 'test', 'harness', 'rgw', 'start.sh');
  const [monPort, rgwPort] = [await freePort(), await freePort()];
  const endpoint = `http://127.0.0.1:${rgwPort}`;
  try {
    await execa('bash', [script, dir, String(monPort), String(rgwPort), RGW_ACCESS_KEY, RGW_SECRET_KEY], { timeout: START_BOUND_MS });
    const until = Date.now() + 30_000;
    for (;;) {
      const answer = await fetch(endpoint).then((r) => r.status, () => 0);
      if (answer === 200) return endpoint;
      if (Date.now() > until) throw new Error(`radosgw does not answer on ${endpoint}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await stopRgw(dir);
    throw new Error(`the Ceph RADOS Gateway did not start within its bound: ${(err as Error).message}\n${logTails(dir)}`);
  }
}

/** Stops the daemons started under dir, by the pids in their own pid files (checked in /proc). */
export async function stopRgw(dir: string): Promise<void> {
  const run = join(dir, 'run');
  if (!existsSync(run)) return;
  const pids: number[] = [];
  for (const name of readdirSync(run).filter((n) => n.endsWith('.pid'))) {
    const pid = Number(readFileSync(join(run, name), 'utf8'));
    const cmdline = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
    if (pid > 0 && cmdline.includes(dir)) {
      process.kill(pid, 'SIGKILL');
      pids.push(pid);
    }
  }
  const until = Date.now() + 10_000;
  while (pids.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}


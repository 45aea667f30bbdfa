// Starts `pgward daemon` for a test cluster as the postgres user, on a socket under TEST_ROOT, and
// waits until it answers a ping.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { callDaemon } from '../../src/daemon/client.js';
import { osUser } from './os-user.js';
import { PGWARD_BIN } from './paths.js';
import { archiveSettings, writePgwardConfig } from './archiving.js';
import { createCluster, postgresOwnedDir, type TestCluster } from './postgres.js';

/** A socket path in a fresh folder the daemon (postgres) owns and every user may traverse. */
export function daemonSocketPath(prefix: string): string {
  const dir = postgresOwnedDir(prefix);
  chmodSync(dir, 0o755);
  return join(dir, 'd.sock');
}

export interface TestDaemon {
  child: ChildProcess;
  socket: string;
  exited: Promise<number | null>;
  output(): string;
  stop(): Promise<number | null>;
}

export async function startDaemon(dataDirectory: string, configFile: string, socket: string, extraArgs: string[] = []): Promise<TestDaemon> {
  const user = osUser('postgres');
  const child = spawn(process.execPath, [PGWARD_BIN, 'daemon', dataDirectory, '--config', configFile, '--socket', socket, ...extraArgs], {
    uid: user.uid,
    gid: user.gid,
    env: { PATH: process.env.PATH ?? '', HOME: '/tmp' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const daemon: TestDaemon = {
    child,
    socket,
    exited,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  const until = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) return daemon;
    const pong = await callDaemon(socket, { v: 1, id: 1, op: 'ping' }, 500);
    if (pong?.ok) return daemon;
    if (Date.now() > until) throw new Error(`daemon did not start: ${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface DaemonCluster {
  cluster: TestCluster;
  daemon: TestDaemon;
  socket: string;
  configFile: string;
}

/** A PostgreSQL 15 cluster archiving through pgward with `settings`, and its daemon on a fresh socket. */
export async function archivingClusterWithDaemon(settings: Record<string, string>, prefix = 'daemon-sock-'): Promise<DaemonCluster> {
  const socket = daemonSocketPath(prefix);
  const configFile = writePgwardConfig({ ...settings, PGWARD_DAEMON_SOCKET: socket });
  const cluster = await createCluster({ version: '15', extraConfig: archiveSettings(configFile) });
  return { cluster, daemon: await startDaemon(cluster.dataDirectory, configFile, socket), socket, configFile };
}

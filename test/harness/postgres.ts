// Real PostgreSQL clusters for tests: initdb and postgres run as the postgres OS user, each cluster in
// its own folder under TEST_ROOT with a short socket directory and its own free port. Readiness is
// read from line 8 of postmaster.pid, as pg_ctl does.
import { appendFileSync, openSync, closeSync, readFileSync, existsSync, mkdtempSync, chownSync, chmodSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { execa } from 'execa';
import pg from 'pg';
import { osUser } from './os-user.js';
import { PG_BIN_DIRS, TEST_ROOT } from './paths.js';
import { freePort } from './ports.js';

export interface ClusterOptions {
  version: '13' | '15' | '17';
  /** listen_addresses; default 127.0.0.1 */
  listen?: string;
  /** false: no Unix socket, clients must use TCP */
  socket?: boolean;
  extraConfig?: Record<string, string>;
  /** extra initdb arguments, e.g. ['-k'] for data checksums */
  initdbArgs?: string[];
}

export class TestCluster {
  pid?: number;
  constructor(
    readonly version: string,
    readonly base: string,
    readonly dataDirectory: string,
    readonly socketDirectory: string,
    readonly port: number,
    private readonly options: ClusterOptions,
  ) {}

  get binDir(): string {
    return PG_BIN_DIRS[this.version]!;
  }

  get logFile(): string {
    return join(this.base, 'server.log');
  }

  /** Start and wait until ready. */
  async start(): Promise<void> {
    this.spawnServer();
    await this.waitReady();
  }

  private exited = false;

  /** Start without waiting (recovery may stop the server instead of reaching ready). */
  spawnServer(): void {
    const user = osUser('postgres');
    const log = openSync(this.logFile, 'a');
    chownSync(this.logFile, user.uid, user.gid);
    const args = ['-D', this.dataDirectory, '-p', String(this.port), '-k', this.options.socket === false ? '' : this.socketDirectory];
    args.push('-c', `listen_addresses=${this.options.listen ?? '127.0.0.1'}`);
    const child = spawn(join(this.binDir, 'postgres'), args, {
      uid: user.uid,
      gid: user.gid,
      detached: true,
      stdio: ['ignore', log, log],
      cwd: this.base,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
    });
    closeSync(log);
    child.unref();
    this.exited = false;
    this.serverPid = child.pid;
    child.once('exit', () => (this.exited = true));
  }

  serverPid?: number;

  /** Resolves once the postmaster process has exited (e.g. recovery failed). */
  async waitExit(ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (this.exited || (this.serverPid !== undefined && !existsSync(`/proc/${this.serverPid}`))) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return false;
  }

  async waitReady(ms = 30_000): Promise<void> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const pidFile = join(this.dataDirectory, 'postmaster.pid');
      if (existsSync(pidFile)) {
        const lines = readFileSync(pidFile, 'utf8').split('\n');
        if (lines[7]?.trim() === 'ready') {
          this.pid = Number(lines[0]);
          return;
        }
      }
      if (this.exited) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`PostgreSQL ${this.version} did not become ready:\n${readFileSync(this.logFile, 'utf8').slice(-2000)}`);
  }

  /** Fast shutdown (SIGINT), escalating if it hangs. */
  async stop(): Promise<void> {
    const pid = this.pid;
    if (pid === undefined) return;
    this.pid = undefined;
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      return;
    }
    for (const [signal, ms] of [['SIGQUIT', 15_000], ['SIGKILL', 5_000]] as const) {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        if (!existsSync(`/proc/${pid}`)) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      process.kill(pid, signal);
    }
  }

  async destroy(): Promise<void> {
    await this.stop();
    // pgward run by PostgreSQL (archive_command, restore_command) must never exit 70, "a bug": the
    // server log is the only place such an exit shows, so it is read before the folder goes.
    const bug = existsSync(this.logFile) ? /^.*exit code 70\b.*$/m.exec(readFileSync(this.logFile, 'utf8')) : null;
    rmSync(this.base, { recursive: true, force: true });
    if (bug) throw new Error(`a pgward command run by PostgreSQL exited 70 (a bug): ${bug[0]}`);
  }

  async query<T extends Record<string, unknown> = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const client = new pg.Client(this.connection());
    await client.connect();
    try {
      return (await client.query<T>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** Waits until recovery has ended (the server was promoted at the end of the archive or its target). */
  async waitPromoted(ms = 90_000): Promise<void> {
    const until = Date.now() + ms;
    while ((await this.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r'))[0]!.r) {
      if (Date.now() > until) throw new Error('recovery did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Run SQL through the cluster's own socket or TCP as the postgres role. */
  connection(): { host: string; port: number; user: string; database: string } {
    return {
      host: this.options.socket === false ? '127.0.0.1' : this.socketDirectory,
      port: this.port,
      user: 'postgres',
      database: 'postgres',
    };
  }
}

/**
 * A cluster around an existing data directory (a restore target). `start` is left to the test,
 * because recovery may end in a shutdown the test wants to observe.
 */
export async function clusterFromDataDirectory(version: ClusterOptions['version'], dataDirectory: string, options: Partial<ClusterOptions> = {}): Promise<TestCluster> {
  const base = join(dataDirectory, '..');
  return new TestCluster(version, base, dataDirectory, base, await freePort(), { version, ...options });
}

/** A fresh folder under TEST_ROOT owned by postgres (for restore targets, config files, repositories). */
export function postgresOwnedDir(prefix: string): string {
  const user = osUser('postgres');
  const dir = mkdtempSync(join(TEST_ROOT, prefix));
  chownSync(dir, user.uid, user.gid);
  chmodSync(dir, 0o755);
  return dir;
}

export async function createCluster(options: ClusterOptions): Promise<TestCluster> {
  const user = osUser('postgres');
  const base = mkdtempSync(join(TEST_ROOT, `pg${options.version}-`));
  chownSync(base, user.uid, user.gid);
  chmodSync(base, 0o755);
  const dataDirectory = join(base, 'data');
  await execa(join(PG_BIN_DIRS[options.version]!, 'initdb'), ['-D', dataDirectory, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '-N', ...(options.initdbArgs ?? [])], {
    uid: user.uid,
    gid: user.gid,
    cwd: base,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C' },
    extendEnv: false,
  });
  // Settings go into postgresql.conf, not onto the command line, so ALTER SYSTEM can override them.
  const extra = Object.entries(options.extraConfig ?? {}).map(([key, value]) => `${key} = '${value.replace(/'/g, "''")}'\n`);
  if (extra.length) appendFileSync(join(dataDirectory, 'postgresql.conf'), extra.join(''));
  const cluster = new TestCluster(options.version, base, dataDirectory, base, await freePort(), options);
  await cluster.start();
  return cluster;
}

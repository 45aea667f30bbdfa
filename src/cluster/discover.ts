// Every cluster on this host, as pg_lsclusters shows them plus their identity: Debian clusters from
// /etc/postgresql/<version>/<name>/postgresql.conf, and any running postmaster found in /proc (its
// working directory is its data directory), which catches clusters started outside postgresql-common.
import { readdir, readFile, readlink, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { PgwardError } from '../errors/errors.js';
import { readClusterIdentity } from './identity.js';
import { parsePostgresqlConf } from './postgresql-conf.js';
import { parseProcStat } from './postmaster-process.js';

export interface DiscoveredCluster {
  name: string;
  pgMajor?: string;
  port?: number;
  status: 'online' | 'down' | 'unusable';
  dataDirectory: string;
  systemIdentifier?: string;
  pid?: number;
  socketDirectory?: string;
  foundBy: Array<'debian' | 'process'>;
  problem?: string;
}

interface Candidate {
  dataDirectory: string;
  debianName?: string;
  configuredPort?: number;
  foundBy: DiscoveredCluster['foundBy'];
}

async function debianCandidates(root: string): Promise<Candidate[]> {
  const found: Candidate[] = [];
  const versions = await readdir(root).catch(() => [] as string[]);
  for (const version of versions) {
    const names = await readdir(join(root, version)).catch(() => [] as string[]);
    for (const name of names) {
      const conf = await readFile(join(root, version, name, 'postgresql.conf'), 'utf8').catch(() => undefined);
      if (conf === undefined) continue;
      const settings = parsePostgresqlConf(conf);
      const port = Number(settings.get('port') ?? 5432);
      found.push({
        dataDirectory: settings.get('data_directory') ?? `/var/lib/postgresql/${version}/${name}`,
        debianName: `${version}/${name}`,
        configuredPort: Number.isInteger(port) ? port : undefined,
        foundBy: ['debian'],
      });
    }
  }
  return found;
}

async function processCandidates(): Promise<Candidate[]> {
  const found: Candidate[] = [];
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((entry) => /^\d+$/.test(entry));
  const stats = new Map<number, ReturnType<typeof parseProcStat>>();
  for (const pid of pids) {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
    if (text) stats.set(Number(pid), parseProcStat(text));
  }
  for (const [pid, stat] of stats) {
    const isPostgres = stat.comm === 'postgres' || stat.comm === 'postmaster';
    const parent = stats.get(stat.ppid);
    // Backends are children of the postmaster; only the postmaster has a non-postgres parent.
    if (!isPostgres || (parent && (parent.comm === 'postgres' || parent.comm === 'postmaster'))) continue;
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
    if (cwd) found.push({ dataDirectory: cwd, foundBy: ['process'] });
  }
  return found;
}

async function describe(candidate: Candidate): Promise<DiscoveredCluster> {
  const base = {
    name: candidate.debianName ?? candidate.dataDirectory,
    dataDirectory: candidate.dataDirectory,
    foundBy: candidate.foundBy,
  };
  try {
    const identity = await readClusterIdentity(candidate.dataDirectory);
    const cluster: DiscoveredCluster = {
      ...base,
      name: candidate.debianName ?? identity.name,
      dataDirectory: identity.dataDirectory,
      pgMajor: identity.pgMajor,
      port: identity.postmaster?.port ?? candidate.configuredPort,
      status: identity.state === 'running' ? 'online' : 'down',
      systemIdentifier: identity.systemIdentifier,
    };
    if (identity.postmaster) {
      cluster.pid = identity.postmaster.pid;
      if (identity.postmaster.socketDirectory) cluster.socketDirectory = identity.postmaster.socketDirectory;
    }
    return cluster;
  } catch (err) {
    if (!(err instanceof PgwardError)) throw err;
    return { ...base, port: candidate.configuredPort, status: 'unusable', problem: err.message };
  }
}

/** Given data directories described as discovery would, found on the host or not (a stopped one). */
export async function describeClusters(dataDirectories: readonly string[]): Promise<DiscoveredCluster[]> {
  const found = await discoverClusters();
  return Promise.all(
    dataDirectories.map(async (given) => {
      const path = await realpath(given).catch(() => given);
      return found.find((c) => c.dataDirectory === path) ?? describe({ dataDirectory: path, foundBy: [] });
    }),
  );
}

export async function discoverClusters(options: { debianRoot?: string } = {}): Promise<DiscoveredCluster[]> {
  const candidates = [...(await debianCandidates(options.debianRoot ?? '/etc/postgresql')), ...(await processCandidates())];
  const byDirectory = new Map<string, Candidate>();
  for (const candidate of candidates) {
    const key = await realpath(candidate.dataDirectory).catch(() => candidate.dataDirectory);
    const seen = byDirectory.get(key);
    if (seen) {
      seen.foundBy.push(...candidate.foundBy.filter((how) => !seen.foundBy.includes(how)));
      seen.debianName ??= candidate.debianName;
      seen.configuredPort ??= candidate.configuredPort;
    } else {
      byDirectory.set(key, { ...candidate });
    }
  }
  const clusters = await Promise.all([...byDirectory.values()].map(describe));
  return clusters.sort((a, b) => (a.pgMajor ?? '').localeCompare(b.pgMajor ?? '', undefined, { numeric: true }) || a.name.localeCompare(b.name));
}

// Every cluster of the host (or the data directories given), probed in parallel, each under its own
// deadline, so one unreachable repository or hung server cannot hold the others' answers back.
import { statSync } from 'node:fs';
import { describeClusters, discoverClusters } from '../cluster/discover.js';
import { becomeUser } from '../cluster/run-as-owner.js';
import type { Logger } from '../log/logger.js';
import type { ClusterStatus } from './cluster-status.js';
import { probeCluster, type ProbeEnvironment } from './probe.js';

/**
 * Run as root, status becomes the clusters' owner (postgres on Debian) before it connects: peer
 * authentication, and the owner's rights on its data directories and filesystem repositories. With
 * owners of several users it stays root and says so.
 */
function becomeOwner(dataDirectories: readonly string[], log: Logger): void {
  if (process.getuid?.() !== 0) return;
  const owners = new Map<number, number>();
  for (const dir of dataDirectories) {
    try {
      const info = statSync(dir);
      if (info.uid !== 0) owners.set(info.uid, info.gid);
    } catch {
      // an unreadable data directory is reported by its probe
    }
  }
  if (owners.size !== 1) {
    if (owners.size > 1) log.warn({ owners: [...owners.keys()] }, 'clusters belong to several users: status stays root, so peer authentication may refuse some connections');
    return;
  }
  const [[uid, gid]] = [...owners.entries()] as [[number, number]];
  const user = becomeUser(uid, gid, 'the owner of the clusters');
  log.debug({ user: user.username }, `running as ${user.username}, the owner of the clusters`);
}

export async function hostStatus(dataDirectories: readonly string[], env: ProbeEnvironment, log: Logger): Promise<ClusterStatus[]> {
  const found = dataDirectories.length ? await describeClusters(dataDirectories) : await discoverClusters();
  becomeOwner(found.map((c) => c.dataDirectory), log);
  return Promise.all(found.map((cluster) => probeCluster(cluster, env)));
}

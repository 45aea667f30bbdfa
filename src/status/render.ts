// status on a terminal (one row per cluster, then each reason), as a Nagios plugin line, and as the
// exit status a cron job or a monitoring agent acts on.
import { StatusCriticalError, StatusWarningError } from '../errors/errors.js';
import type { ClusterStatus, Verdict } from './cluster-status.js';

const ago = (iso: string | null | undefined, now: Date): string => {
  if (!iso) return '-';
  const minutes = (now.getTime() - new Date(iso).getTime()) / 60_000;
  if (minutes < 90) return `${Math.max(0, Math.round(minutes))} min ago`;
  if (minutes < 48 * 60) return `${Math.round(minutes / 60)} h ago`;
  return `${Math.round(minutes / 1440)} days ago`;
};

export const STATUS_HEADER = ['Cluster', 'Verdict', 'Running', 'Archiving', 'Ready', 'Daemon', 'Repository', 'Newest backup', 'Verified'];

export function statusRow(c: ClusterStatus, now: Date): string[] {
  const archiving = c.archiveMode === undefined ? '-' : c.archiveMode === 'off' ? 'off' : c.archiver?.failing ? 'FAILING' : c.pgwardArchiving ? 'pgward' : 'not pgward';
  const repository = !c.repository ? '-' : !c.repository.reachable ? 'UNREACHABLE' : c.repository.belongsTo ? 'OTHER CLUSTER' : 'ok';
  const verified = c.verification === undefined ? '-' : c.verification === null ? 'never' : c.verification.result === 'failed' ? 'FAILED' : ago(c.verification.finishedAt, now);
  return [
    c.cluster,
    c.verdict,
    c.unusable ? 'unusable' : c.running ? (c.standby ? 'standby' : 'yes') : 'no',
    archiving,
    c.readyFiles === undefined ? '-' : String(c.readyFiles),
    c.daemon?.state ?? '-',
    repository,
    c.backups?.newest ? ago(c.backups.newest.finishedAt, now) : c.backups ? 'none' : '-',
    verified,
  ];
}

export function reasonLines(clusters: readonly ClusterStatus[]): string[] {
  return clusters.flatMap((c) => c.reasons.map((r) => `${c.cluster}: ${r.severity}: ${r.text}`));
}

export function worstVerdict(clusters: readonly ClusterStatus[]): Verdict {
  if (clusters.some((c) => c.verdict === 'CRITICAL')) return 'CRITICAL';
  return clusters.some((c) => c.verdict === 'WARNING') ? 'WARNING' : 'OK';
}

/** The Nagios plugin convention: one line, perfdata after `|`, exit 0 OK, 1 WARNING, 2 CRITICAL. */
export function nagiosLine(clusters: readonly ClusterStatus[]): { line: string; status: number } {
  const worst = worstVerdict(clusters);
  const count = (v: Verdict): number => clusters.filter((c) => c.verdict === v).length;
  const summary = worst === 'OK' ? `${clusters.length} cluster(s) protected` : clusters.filter((c) => c.verdict !== 'OK').map((c) => `${c.cluster}: ${c.reasons.map((r) => r.text).join(', ')}`).join('; ');
  const perf = `clusters=${clusters.length} ok=${count('OK')} warning=${count('WARNING')} critical=${count('CRITICAL')}`;
  return { line: `PGWARD ${worst} - ${summary} | ${perf}`, status: { OK: 0, WARNING: 1, CRITICAL: 2 }[worst] };
}

/** The verdict as the error table's exit status: 13 WARNING, 14 CRITICAL, naming each cluster. */
export function verdictError(clusters: readonly ClusterStatus[]): StatusWarningError | StatusCriticalError | undefined {
  const worst = worstVerdict(clusters);
  if (worst === 'OK') return undefined;
  const named = clusters.filter((c) => c.verdict === worst).map((c) => `${c.cluster} (${c.reasons.filter((r) => r.severity === worst).map((r) => r.text).join('; ')})`);
  const message = `${named.length} cluster(s) ${worst}: ${named.join(', ')}`;
  const hint = 'each reason names what to fix; pgward status --json has every detail';
  return worst === 'CRITICAL' ? new StatusCriticalError(message, { hint }) : new StatusWarningError(message, { hint });
}

// The verdict per cluster: every reason in words, its severity, the worst one wins. CRITICAL means WAL
// or backups are not reaching a usable repository now (or a proof failed): a restore today would lose
// data or fail. WARNING means protection is there but aging, lagging or unproven.
import type { ClusterStatus, Reason, Verdict } from './cluster-status.js';

export interface Thresholds {
  backupMaxAgeHours: number;
  verifyMaxAgeHours: number;
  readyMax: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { backupMaxAgeHours: 26, verifyMaxAgeHours: 50, readyMax: 16 };

const hoursSince = (iso: string, now: Date): number => (now.getTime() - new Date(iso).getTime()) / 3_600_000;
const age = (hours: number): string => (hours < 48 ? `${Math.round(hours)} h` : `${Math.round(hours / 24)} days`);
const clock = (iso: string): string => iso.replace('T', ' ').slice(0, 16);

export function judge(status: Omit<ClusterStatus, 'verdict' | 'reasons'>, thresholds: Thresholds, now: Date): { verdict: Verdict; reasons: Reason[] } {
  const reasons: Reason[] = [];
  const critical = (text: string): void => void reasons.push({ severity: 'CRITICAL', text });
  const warning = (text: string): void => void reasons.push({ severity: 'WARNING', text });

  if (status.unusable) critical(`data directory unusable: ${status.unusable}`);
  else if (!status.running) warning('not running: its archiving cannot be checked');
  if (status.running && status.archiveMode !== undefined) {
    const archives = status.archiveMode === 'always' || (status.archiveMode === 'on' && !status.standby);
    if (status.archiveMode === 'off') critical('not archived (archive_mode off)');
    else if (archives && status.archiveLibrary) warning(`archived by archive_library ${status.archiveLibrary}, not pgward`);
    else if (archives && !status.archiveCommand) critical('archive_command is empty: WAL is kept, not archived');
    else if (archives && !status.pgwardArchiving) warning('archive_command is not pgward');
  }
  if (status.running && !status.settings && !status.standby && status.archiveMode === 'off') critical('no backup (no pgward settings: neither archive_command nor /etc/pgward/<instance>.conf names a repository)');
  const archiver = status.archiver;
  if (archiver?.failing) {
    const since = archiver.lastArchivedTime ? `last success ${clock(archiver.lastArchivedTime)}` : 'never succeeded';
    // pg_stat_archiver keeps no exit status; what this probe found in the repository is the likely one.
    const repoProblem = status.repository?.belongsTo ? '; exit 4: the repository belongs to another cluster' : status.repository && !status.repository.reachable ? '; exit 6: the repository is unreachable' : '';
    critical(`archiving failing: ${archiver.lastFailedWal} failed at ${clock(archiver.lastFailedTime!)} (${since}${repoProblem})`);
  }
  if (status.readyFiles !== undefined && status.readyFiles > thresholds.readyMax) warning(`${status.readyFiles} WAL files waiting to be archived`);
  if (status.daemon?.state === 'not answering') warning(`daemon socket ${status.daemon.socket} does not answer`);

  const repo = status.repository;
  if (repo && !repo.reachable) critical(`repository ${repo.url ?? ''} unreachable: ${repo.error}`.replace('  ', ' '));
  else if (repo?.belongsTo) critical(`repository ${repo.url} belongs to another cluster (${repo.belongsTo})`);
  else if (repo && repo.stamped === false) critical(`repository ${repo.url} is not stamped: nothing was ever archived there`);

  const backups = status.backups;
  if (backups?.error) critical(`backup catalog unreadable: ${backups.error}`);
  else if (backups && !backups.newest) critical('no complete backup');
  else if (backups?.newest) {
    const hours = hoursSince(backups.newest.finishedAt, now);
    if (hours > thresholds.backupMaxAgeHours) warning(`newest backup ${age(hours)} old`);
  }
  if (backups?.newest) {
    const v = status.verification;
    if (v === null) warning('never verified');
    else if (v?.result === 'failed') critical(`verification FAILED for ${v.backup}${v.failedCheck ? ` (${v.failedCheck})` : ''}`);
    else if (v && hoursSince(v.finishedAt, now) > thresholds.verifyMaxAgeHours) warning(`newest verification ${age(hoursSince(v.finishedAt, now))} old`);
  }
  const wal = status.wal;
  if (wal && !wal.complete) critical(wal.firstMissing ? `WAL gap at ${wal.firstMissing} (${wal.missingCount} segment(s) missing)` : `WAL archive incomplete: ${wal.problem ?? 'see wal-verify'}`);
  for (const error of status.errors) critical(error);

  const verdict: Verdict = reasons.some((r) => r.severity === 'CRITICAL') ? 'CRITICAL' : reasons.length ? 'WARNING' : 'OK';
  return { verdict, reasons };
}

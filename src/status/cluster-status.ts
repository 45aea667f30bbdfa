// What status finds out about one cluster, every field in words a DBA reads in --json. Absent fields
// were not reached (the cluster is down, its archiving is not pgward's, or an earlier probe failed).
import type { VerificationRecord } from '../verify/record.js';

export type Verdict = 'OK' | 'WARNING' | 'CRITICAL';

export interface Reason {
  severity: Exclude<Verdict, 'OK'>;
  text: string;
}

export interface ClusterStatus {
  cluster: string;
  dataDirectory: string;
  pgMajor?: string;
  systemIdentifier?: string;
  port?: number;
  running: boolean;
  /** the data directory cannot be read as a cluster */
  unusable?: string;
  standby?: boolean;
  archiveMode?: string;
  archiveCommand?: string;
  archiveLibrary?: string;
  /** archive_command runs pgward's wal-push */
  pgwardArchiving?: boolean;
  /** where the pgward settings of this cluster come from (its archive_command, or the units' convention) */
  settings?: { configFile?: string; envdir?: string; from: string };
  archiver?: {
    lastArchivedWal: string | null;
    lastArchivedTime: string | null;
    lastFailedWal: string | null;
    lastFailedTime: string | null;
    /** the last attempt failed: a failure newer than the last success */
    failing: boolean;
  };
  /** WAL files waiting for archive_command (pg_wal/archive_status/*.ready) */
  readyFiles?: number;
  daemon?: { socket: string; state: 'answering' | 'not running' | 'not answering' };
  repository?: {
    url?: string;
    reachable: boolean;
    error?: string;
    /** the stamp's cluster, when it is not this one */
    belongsTo?: string;
    stamped?: boolean;
    size?: { wal: { objects: number; bytes: number }; backups: { objects: number; bytes: number } };
  };
  backups?: {
    count: number;
    newest?: { name: string; finishedAt: string; rawSize: number; storedSize: number; durationSeconds: number };
    error?: string;
  };
  /** the newest verification record among the backups, null when none was ever verified */
  verification?: Pick<VerificationRecord, 'backup' | 'result' | 'level' | 'finishedAt' | 'restoreSeconds' | 'recoverySeconds' | 'failedCheck' | 'message'> | null;
  wal?: { complete: boolean; from?: string; to?: string; missingCount: number; firstMissing?: string; problem?: string };
  /** a probe that did not finish (its deadline) or failed unexpectedly, by step */
  errors: string[];
  verdict: Verdict;
  reasons: Reason[];
}

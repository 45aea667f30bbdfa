// What a backup records about itself. The manifest lists every file (size, sha256, partition) and
// every partition (size before and after compression, sha256 of the stored object); backup-fetch
// verifies all of it. The sentinel, written last, is what makes a backup exist.
import type { Tablespace } from './walk.js';

export const MANIFEST_FORMAT = 'pgward-manifest/1';
export const SENTINEL_FORMAT = 'pgward-backup/1';

export interface ManifestFile {
  name: string;
  size: number;
  sha256: string;
  partition: number;
  mode: number;
  mtime: string;
}

export interface ManifestPartition {
  number: number;
  key: string;
  rawSize: number;
  storedSize: number;
  storedSha256: string;
  files: number;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  name: string;
  compression: string;
  files: ManifestFile[];
  directories: Array<{ name: string; mode: number }>;
  symlinks: Array<{ name: string; target: string }>;
  tablespaces: Tablespace[];
  partitions: ManifestPartition[];
}

export interface BackupSentinel {
  format: typeof SENTINEL_FORMAT;
  name: string;
  label: string;
  startLsn: string;
  stopLsn: string;
  timeline: number;
  walStart: string;
  walStop: string;
  pgVersion: string;
  pgVersionNum: number;
  pgMajor: string;
  systemIdentifier: string;
  clusterName: string;
  dataDirectory: string;
  port: number;
  host: string;
  rawSize: number;
  storedSize: number;
  files: number;
  partitions: number;
  compression: string;
  fastCheckpoint: boolean;
  /** taken on a standby (absent in sentinels written before standby backups existed) */
  fromStandby?: boolean;
  tablespaces: Tablespace[];
  /** when pg_backup_start returned (the checkpoint done) */
  startedAt: string;
  finishedAt: string;
  /** the whole backup-push: from the command's start, checkpoint and WAL waits included */
  durationSeconds: number;
  pgwardVersion: string;
}

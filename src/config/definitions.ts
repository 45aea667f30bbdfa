// Every setting pgward reads, with the flag and the variable names that may carry it. Names earlier in
// `env` win over later ones at the same level: pgward's own before wal-e's and the AWS SDK's, so a
// wal-e envdir keeps working and an explicit PGWARD_* setting still overrides it.
export interface SettingDefinition {
  flag?: string;
  env: readonly string[];
  secret?: boolean;
  description: string;
}

export const SETTINGS = {
  repo: {
    flag: 'repo',
    env: ['PGWARD_REPO', 'WALE_S3_PREFIX', 'WALE_FILE_PREFIX'],
    description: 'repository URL: s3://bucket/prefix or file:///path',
  },
  s3Endpoint: {
    flag: 's3-endpoint',
    env: ['PGWARD_S3_ENDPOINT', 'WALE_S3_ENDPOINT', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'],
    description: 'S3-compatible endpoint URL (wal-e form https+path://host:port accepted)',
  },
  s3ForcePathStyle: { env: ['PGWARD_S3_FORCE_PATH_STYLE'], description: 'path-style S3 addressing (true/false)' },
  s3Region: { flag: 's3-region', env: ['PGWARD_S3_REGION', 'AWS_REGION', 'AWS_DEFAULT_REGION'], description: 'S3 region' },
  s3Checksum: {
    env: ['PGWARD_S3_CHECKSUM'],
    description: 'S3 request checksums: when_required (default for custom endpoints) or when_supported',
  },
  s3PartSize: { env: ['PGWARD_S3_PART_SIZE_MB'], description: 'multipart upload part size in MiB' },
  awsAccessKeyId: { env: ['AWS_ACCESS_KEY_ID'], description: 'S3 access key id' },
  awsSecretAccessKey: { env: ['AWS_SECRET_ACCESS_KEY'], secret: true, description: 'S3 secret access key' },
  awsSessionToken: { env: ['AWS_SESSION_TOKEN'], secret: true, description: 'S3 session token' },
  storageTimeout: {
    env: ['PGWARD_STORAGE_TIMEOUT'],
    description: 'seconds one storage request may take before it is abandoned and retried',
  },
  storageRetries: { env: ['PGWARD_STORAGE_RETRIES'], description: 'retries of a failed storage request' },
  pgData: { flag: 'pgdata', env: ['PGDATA'], description: 'data directory when none is given on the command line' },
  compression: {
    flag: 'compression',
    env: ['PGWARD_COMPRESSION', 'WALG_COMPRESSION_METHOD'],
    description: 'compression for new objects: lz4 (default), zstd, gzip or none',
  },
  partitionSize: { env: ['PGWARD_PARTITION_SIZE_MB'], description: 'tar partition size of base backups in MiB (default 1024)' },
  backupWalTimeout: {
    env: ['PGWARD_BACKUP_WAL_TIMEOUT'],
    description: 'seconds backup-push waits for the WAL it needs to be archived (default 120)',
  },
  archiveCheckTimeout: {
    env: ['PGWARD_ARCHIVE_CHECK_TIMEOUT'],
    description: 'seconds check waits for the segment it switched to reach the repository (default 60)',
  },
  progressInterval: { env: ['PGWARD_PROGRESS_INTERVAL'], description: 'seconds between progress lines (default 5)' },
  daemonSocket: { flag: 'socket', env: ['PGWARD_DAEMON_SOCKET'], description: "the cluster daemon's socket (default /run/pgward/<instance>.sock)" },
  daemonRecheckInterval: {
    env: ['PGWARD_DAEMON_RECHECK_INTERVAL'],
    description: "seconds between the daemon's re-checks of the repository stamp and of its location's registration (default 60)",
  },
  metricsListen: { env: ['PGWARD_METRICS_LISTEN'], description: 'daemon: host:port to serve Prometheus metrics on GET /metrics (off by default; a change needs a restart)' },
  noDaemon: { env: ['PGWARD_NO_DAEMON'], description: 'wal-push/wal-fetch: do not ask the daemon (true/false)' },
  walPushTimeout: { env: ['PGWARD_WAL_PUSH_TIMEOUT'], description: 'seconds a wal-push may take in all before it fails (default 30)' },
  walFetchRetry: {
    env: ['PGWARD_WAL_FETCH_RETRY'],
    description: 'seconds wal-fetch keeps retrying a failing storage before it gives up (default 30)',
  },
  verifyDir: {
    env: ['PGWARD_VERIFY_DIR'],
    description: 'backup-verify: where the scratch copy is restored and started (default /var/tmp/pgward-verify)',
  },
  statusBackupMaxAge: { env: ['PGWARD_STATUS_BACKUP_MAX_AGE'], description: 'status: hours after which the newest complete backup is too old (WARNING; default 26)' },
  statusVerifyMaxAge: { env: ['PGWARD_STATUS_VERIFY_MAX_AGE'], description: 'status: hours after which the newest verification is too old (WARNING; default 50)' },
  statusReadyMax: { env: ['PGWARD_STATUS_READY_MAX'], description: 'status: WAL files waiting in archive_status (.ready) beyond which archiving lags (WARNING; default 16)' },
  statusTimeout: { env: ['PGWARD_STATUS_TIMEOUT'], description: "status: seconds each cluster's probe may take before it is reported as not answering (default 5)" },
  pgHost: { flag: 'host', env: ['PGHOST'], description: 'PostgreSQL host or socket directory (checked against postmaster.pid)' },
  pgPort: { flag: 'port', env: ['PGPORT'], description: 'PostgreSQL port (checked against postmaster.pid)' },
  pgUser: { flag: 'user', env: ['PGUSER'], description: 'PostgreSQL role to connect as' },
  pgDatabase: { flag: 'database', env: ['PGDATABASE'], description: 'database to connect to' },
  pgPassword: { env: ['PGPASSWORD'], secret: true, description: 'PostgreSQL password (prefer ~/.pgpass)' },
  logLevel: { flag: 'log-level', env: ['PGWARD_LOG_LEVEL'], description: 'trace, debug, info, warn, error or silent' },
  logFormat: { flag: 'log-format', env: ['PGWARD_LOG_FORMAT'], description: 'auto, json or text' },
} as const satisfies Record<string, SettingDefinition>;

export type SettingKey = keyof typeof SETTINGS;

export const DEFAULT_CONFIG_FILE = '/etc/pgward/pgward.conf';

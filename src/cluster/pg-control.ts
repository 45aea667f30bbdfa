// Parser for PGDATA/global/pg_control (ControlFileData in PostgreSQL's src/include/catalog/pg_control.h).
// The leading fields have kept their offsets since 9.x:
//   0 system_identifier uint64 | 8 pg_control_version uint32 | 12 catalog_version_no uint32
//   16 state (DBState enum, int32) | 24 time (pg_time_t, int64) | 32 checkPoint (LSN)
//   40 checkPointCopy.redo (LSN) | 48 checkPointCopy.ThisTimeLineID uint32
// The CRC-32C is the struct's last field and covers every byte before it; its offset differs between
// control versions, so it is located by checking each 4-byte-aligned candidate. A corrupt file matches
// none (a false match has odds of about 2^-24 over the candidates) and is refused.
// Integers are little-endian: pgward reads data directories written on the same (x86-64/arm64) host.
import { crc32c } from './crc32c.js';

export const PG_CONTROL_FILE_SIZE = 8192;
const MIN_CRC_OFFSET = 52;
const MAX_CRC_OFFSET = 1024;

export const CLUSTER_STATES = [
  'starting up',
  'shut down',
  'shut down in recovery',
  'shutting down',
  'in crash recovery',
  'in archive recovery',
  'in production',
] as const;
export type ClusterState = (typeof CLUSTER_STATES)[number] | `unknown (${number})`;

export interface PgControl {
  systemIdentifier: string;
  controlVersion: number;
  catalogVersion: number;
  state: ClusterState;
  /** time pg_control was last updated */
  time: Date;
  checkpointLsn: string;
  redoLsn: string;
  timeline: number;
  crcOffset: number;
}

export type PgControlProblem = 'truncated' | 'crc-mismatch' | 'implausible';

export class PgControlParseError extends Error {
  constructor(
    readonly problem: PgControlProblem,
    message: string,
  ) {
    super(message);
  }
}

export function formatLsn(value: bigint): string {
  const high = Number(value >> 32n).toString(16).toUpperCase();
  const low = Number(value & 0xffffffffn).toString(16).toUpperCase();
  return `${high}/${low}`;
}

function findCrcOffset(buf: Buffer): number | undefined {
  for (let offset = MIN_CRC_OFFSET; offset <= MAX_CRC_OFFSET && offset + 4 <= buf.length; offset += 4) {
    if (crc32c(buf, 0, offset) === buf.readUInt32LE(offset)) return offset;
  }
  return undefined;
}

export function parsePgControl(buf: Buffer): PgControl {
  if (buf.length < PG_CONTROL_FILE_SIZE) {
    throw new PgControlParseError(
      'truncated',
      `pg_control is ${buf.length} bytes, expected ${PG_CONTROL_FILE_SIZE}`,
    );
  }
  const crcOffset = findCrcOffset(buf);
  if (crcOffset === undefined) {
    throw new PgControlParseError('crc-mismatch', 'pg_control CRC-32C does not match its contents');
  }
  const controlVersion = buf.readUInt32LE(8);
  const stateNumber = buf.readInt32LE(16);
  // Control versions are 3-4 digit numbers (960, 1002, ..., 1300, 1700); anything else is not pg_control.
  if (controlVersion < 900 || controlVersion > 9999) {
    throw new PgControlParseError('implausible', `pg_control_version ${controlVersion} is not plausible`);
  }
  return {
    systemIdentifier: buf.readBigUInt64LE(0).toString(),
    controlVersion,
    catalogVersion: buf.readUInt32LE(12),
    state: CLUSTER_STATES[stateNumber] ?? `unknown (${stateNumber})`,
    time: new Date(Number(buf.readBigInt64LE(24)) * 1000),
    checkpointLsn: formatLsn(buf.readBigUInt64LE(32)),
    redoLsn: formatLsn(buf.readBigUInt64LE(40)),
    timeline: buf.readUInt32LE(48),
    crcOffset,
  };
}

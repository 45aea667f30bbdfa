// WAL file names as PostgreSQL writes them to pg_wal and hands to archive_command:
//   segment  TTTTTTTTXXXXXXXXYYYYYYYY            (timeline, then the segment number in two halves)
//   partial  <segment>.partial                   (the last segment of a timeline, at promotion)
//   backup   <segment>.<8 hex>.backup            (backup history file)
//   history  TTTTTTTT.history                    (timeline history)
// The segment number is XXXXXXXX * (2^32 / segment size) + YYYYYYYY.
export type WalFileKind = 'segment' | 'partial' | 'backup' | 'history';

export interface WalFileName {
  name: string;
  kind: WalFileKind;
  timeline: number;
  /** the 24-hex segment part (absent for history files) */
  segment?: string;
}

const PATTERNS: Array<[WalFileKind, RegExp]> = [
  ['segment', /^([0-9A-F]{8})([0-9A-F]{16})$/],
  ['partial', /^([0-9A-F]{8})([0-9A-F]{16})\.partial$/],
  ['backup', /^([0-9A-F]{8})([0-9A-F]{16})\.[0-9A-F]{8}\.backup$/],
  ['history', /^([0-9A-F]{8})\.history$/],
];

export function parseWalFileName(name: string): WalFileName | undefined {
  for (const [kind, pattern] of PATTERNS) {
    const match = pattern.exec(name);
    if (!match) continue;
    const timeline = parseInt(match[1]!, 16);
    if (timeline === 0) return undefined;
    const parsed: WalFileName = { name, kind, timeline };
    if (kind !== 'history') parsed.segment = `${match[1]}${match[2]}`;
    return parsed;
  }
  return undefined;
}

function segmentsPerXlogId(segmentSize: number): bigint {
  return 0x1_0000_0000n / BigInt(segmentSize);
}

/** The segment number (position in the WAL stream, timeline aside) of a 24-hex segment name. */
export function segmentNumber(segment: string, segmentSize: number): bigint {
  const high = BigInt(`0x${segment.slice(8, 16)}`);
  const low = BigInt(`0x${segment.slice(16, 24)}`);
  return high * segmentsPerXlogId(segmentSize) + low;
}

export function segmentName(timeline: number, segno: bigint, segmentSize: number): string {
  const per = segmentsPerXlogId(segmentSize);
  const hex = (value: bigint | number): string => value.toString(16).toUpperCase().padStart(8, '0');
  return `${hex(timeline)}${hex(segno / per)}${hex(segno % per)}`;
}

/** The first LSN in a segment. */
export function segmentStartLsn(segment: string, segmentSize: number): bigint {
  return segmentNumber(segment, segmentSize) * BigInt(segmentSize);
}

export function segmentOfLsn(lsn: bigint, segmentSize: number): bigint {
  return lsn / BigInt(segmentSize);
}

export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!match) throw new RangeError(`not an LSN: ${JSON.stringify(text)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

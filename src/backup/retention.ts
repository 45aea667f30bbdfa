// Retention (`delete retain N` / `delete before NAME`, wal-e's commands): which backups and which WAL
// go. Backups older than the kept ones go whole, their sentinel first so a half-deleted backup never
// lists as complete; incomplete backups older than the oldest kept one go too. WAL goes only when it
// is older than the start of the oldest kept backup (no kept backup can need it); timeline history
// files always stay (they are tiny and recovery across timelines needs them).
import { segmentNumber } from '../wal/wal-file-name.js';
import { parseWalKey } from '../repo/layout.js';
import type { BackupListing } from './catalog.js';

export type RetentionRule = { kind: 'retain'; count: number } | { kind: 'before'; name: string };

export interface RetentionPlan {
  keep: string[];
  deleteBackups: string[];
  /** WAL object keys to delete */
  deleteWal: string[];
  /** the oldest kept backup's first WAL segment: everything before it goes */
  walBoundary?: string;
}

export class RetentionError extends Error {}

export function planRetention(listing: BackupListing, walKeys: readonly string[], rule: RetentionRule, segmentSize: number): RetentionPlan {
  const complete = [...listing.complete].sort((a, b) => a.finishedAt.localeCompare(b.finishedAt));
  let keepFrom: number;
  if (rule.kind === 'retain') {
    if (rule.count < 1) throw new RetentionError('retain needs at least 1 backup');
    keepFrom = Math.max(0, complete.length - rule.count);
  } else {
    keepFrom = complete.findIndex((b) => b.name === rule.name);
    if (keepFrom < 0) throw new RetentionError(`${rule.name} is not a complete backup`);
  }
  const kept = complete.slice(keepFrom);
  const gone = complete.slice(0, keepFrom);
  const oldestKept = kept[0];
  const incompleteGone = oldestKept ? listing.incomplete.map((i) => i.name).filter((name) => name < oldestKept.name) : [];
  const plan: RetentionPlan = { keep: kept.map((b) => b.name), deleteBackups: [...gone.map((b) => b.name), ...incompleteGone], deleteWal: [] };
  if (!oldestKept) return plan;
  plan.walBoundary = oldestKept.walStart;
  const boundary = segmentNumber(oldestKept.walStart, segmentSize);
  for (const key of walKeys) {
    const parsed = parseWalKey(key);
    if (!parsed || parsed.fileName.endsWith('.history')) continue;
    if (segmentNumber(parsed.fileName.slice(0, 24), segmentSize) < boundary) plan.deleteWal.push(key);
  }
  return plan;
}

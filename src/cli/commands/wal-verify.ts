// pgward wal-verify: are all segments recovery would replay archived? From the first archived segment
// (later: the oldest backup's start) to the newest, per timeline, following the newest timeline's
// history back through its ancestors. Missing segments, or a timeline whose parent kept being archived
// after the fork (two servers writing one archive): exit 8 after the report.
import { decompressBuffer } from '../../codec/buffer-codec.js';
import { methodOfExtension } from '../../codec/compression.js';
import { IntegrityError } from '../../errors/errors.js';
import { parseWalKey } from '../../repo/layout.js';
import { getBuffer } from '../../storage/storage.js';
import { checkRecoveryPath } from '../../wal/wal-catalog.js';
import { parseWalFileName, segmentNumber } from '../../wal/wal-file-name.js';
import { listArchivedWal } from '../../wal/wal-listing.js';
import { readArchivedHistories } from '../../wal/recovery-timeline.js';
import { describeFork, findTimelineForks, formatLsn } from '../../wal/timeline-forks.js';
import { parseTimelineHistory, type TimelineSwitch } from '../../wal/timeline-history.js';
import type { CommandContext } from '../context.js';
import { printFields, printJson } from '../output.js';
import { withStorage } from '../repository.js';

export const walVerifyCommand = {
  async handler(ctx: CommandContext): Promise<void> {
    await withStorage(ctx, async (storage, config) => {
      const listing = await listArchivedWal(storage);
      const segments = [...listing.fileNames].map(parseWalFileName).filter((f) => f?.kind === 'segment');
      if (segments.length === 0) {
        if (ctx.json) return printJson({ repository: config.url, segments: 0, missingCount: 0 });
        return printFields([['repository', config.url], ['result', 'no WAL segments archived yet']]);
      }
      const timeline = Math.max(...segments.map((s) => s!.timeline));
      let switches: TimelineSwitch[] = [];
      let historyProblem: string | undefined;
      if (timeline > 1) {
        const historyName = `${timeline.toString(16).toUpperCase().padStart(8, '0')}.history`;
        const key = listing.keys.get(historyName);
        const body = key ? await getBuffer(storage, key) : undefined;
        if (key && body) {
          const text = await decompressBuffer(body, methodOfExtension(parseWalKey(key)!.extension) ?? 'none', key);
          switches = parseTimelineHistory(text.toString('utf8'));
        } else {
          historyProblem = `${historyName} is not archived: only timeline ${timeline} itself was checked`;
        }
      }
      const chain = new Set([timeline, ...switches.map((s) => s.timeline)]);
      const numbers = (filter: (tli: number) => boolean) =>
        segments.filter((s) => filter(s!.timeline)).map((s) => segmentNumber(s!.segment!, listing.segmentSize));
      const onChain = numbers((tli) => (historyProblem ? tli === timeline : chain.has(tli)));
      const start = onChain.reduce((a, b) => (a < b ? a : b));
      const end = numbers((tli) => tli === timeline).reduce((a, b) => (a > b ? a : b));
      const report = checkRecoveryPath(listing.fileNames, timeline, historyProblem ? [] : switches, start, end, listing.segmentSize);
      const forks = findTimelineForks(listing.modified, await readArchivedHistories(storage, listing), listing.segmentSize);
      const forkJson = forks.map((f) => ({ ...f, forkLsn: formatLsn(f.forkLsn) }));
      if (ctx.json) printJson({ repository: config.url, ...report, historyProblem, timelines: [...chain].sort((a, b) => a - b), forks: forkJson });
      else {
        printFields([
          ['repository', config.url],
          ['timeline', `${timeline}${switches.length ? ` (after ${switches.map((s) => s.timeline).join(' -> ')})` : ''}`],
          ['range', `${report.from} .. ${report.to}`],
          ['history', historyProblem],
          ['missing', report.missingCount ? report.missing.map((g) => (g.count === 1 ? g.from : `${g.from}..${g.to} (${g.count})`)).join(', ') : 'none'],
          ['forks', forks.length ? forks.map(describeFork).join('; ') : 'none'],
        ]);
      }
      if (forks.length > 0 && report.missingCount === 0 && !historyProblem) {
        throw new IntegrityError(forks.map(describeFork).join('; '), {
          hint: 'find the server that archived the later timeline (location-list shows who may write) and stop it archiving here; restore with recovery_target_timeline set to the timeline you mean',
        });
      }
      if (report.missingCount > 0 || historyProblem) {
        throw new IntegrityError(`${report.missingCount} WAL segment(s) missing between ${report.from} and ${report.to}${historyProblem ? `; ${historyProblem}` : ''}${forks.length ? `; ${forks.map(describeFork).join('; ')}` : ''}`, {
          hint: 'recovery cannot pass a gap: take a new base backup after it, and check archive_command failures (pg_stat_archiver)',
        });
      }
    }, 'read');
  },
};

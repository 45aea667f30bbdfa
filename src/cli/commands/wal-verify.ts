// pgward wal-verify: are all segments recovery would replay archived? From the first archived segment
// (later: the oldest backup's start) to the newest, per timeline, following the newest timeline's
// history back through its ancestors. Missing segments, or a timeline whose parent kept being archived
// after the fork (two servers writing one archive): exit 8 after the report.
import { walkArchive, walkFailure } from '../../wal/archive-walk.js';
import { describeFork, formatLsn } from '../../wal/timeline-forks.js';
import type { CommandContext } from '../context.js';
import { printFields, printJson } from '../output.js';
import { withStorage } from '../repository.js';

export const walVerifyCommand = {
  async handler(ctx: CommandContext): Promise<void> {
    await withStorage(ctx, async (storage, config) => {
      const walk = await walkArchive(storage);
      const { report, timeline, switches, historyProblem, forks } = walk;
      if (!report) {
        if (ctx.json) return printJson({ repository: config.url, segments: 0, missingCount: 0 });
        return printFields([['repository', config.url], ['result', 'no WAL segments archived yet']]);
      }
      const chain = new Set([timeline!, ...switches.map((s) => s.timeline)]);
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
      const failure = walkFailure(walk);
      if (failure) throw failure;
    }, 'read');
  },
};

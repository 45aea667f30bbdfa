// pgward version [--json]: the version and what a bug report needs besides (see install/installation.ts).
import { describeInstallation } from '../../install/installation.js';
import type { CommandContext } from '../context.js';
import { printFields, printJson } from '../output.js';

export const versionCommand = {
  async handler(ctx: CommandContext): Promise<void> {
    const about = await describeInstallation();
    if (ctx.json) return printJson(about);
    const build = about.build ? [about.build.source, about.build.commit, about.build.date].filter(Boolean).join(' ') : 'from source (no build record)';
    printFields([
      ['pgward', about.version],
      ['node', `${about.node.version} (${about.node.path})`],
      ['platform', [about.platform.os, about.platform.arch, about.platform.kernel, about.platform.libc].filter(Boolean).join(' ')],
      ['installed in', about.installedIn],
      ['build', build],
      ['pgward-wal', about.walClient ?? 'not built (archive_command runs pgward itself)'],
    ]);
  },
};

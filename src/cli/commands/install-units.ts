// pgward install-units [--dest DIR]: writes the systemd template units with this installation's
// absolute paths (Node.js >= 22 and bin/pgward.js), because /usr/bin/env node on a Debian host may
// find an older Node. Then: systemctl daemon-reload; systemctl enable --now pgward@15-main.
import { mkdir, readdir, readFile, realpath, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandContext } from '../context.js';
import { printJson, printLines } from '../output.js';

const NEXT_STEPS = 'systemctl daemon-reload && systemctl enable --now pgward@<version>-<name> pgward-backup@<version>-<name>.timer pgward-verify@<version>-<name>.timer';
const UNITS_DIR = resolve(fileURLToPath(import.meta.url), '../../../../../systemd');

export const installUnitsCommand = {
  async handler(ctx: CommandContext, args: { dest?: string }): Promise<void> {
    const dest = args.dest ?? '/etc/systemd/system';
    const pgward = await realpath(process.argv[1]!);
    await mkdir(dest, { recursive: true });
    const installed: string[] = [];
    for (const name of (await readdir(UNITS_DIR)).filter((f) => /\.(service|timer)$/.test(f))) {
      const text = (await readFile(join(UNITS_DIR, name), 'utf8')).replaceAll('@NODE@', process.execPath).replaceAll('@PGWARD@', pgward);
      await writeFile(join(dest, name), text, { mode: 0o644 });
      installed.push(join(dest, name));
    }
    ctx.log.info({ dest, units: installed.length }, `installed ${installed.length} units in ${dest}`);
    if (ctx.json) return printJson({ dest, units: installed, node: process.execPath, pgward, next: NEXT_STEPS });
    printLines([...installed, `next: ${NEXT_STEPS}`]);
  },
};

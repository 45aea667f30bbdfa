// Writes pgward(1) from the sources --help is made of: the command line's own help texts (the
// program is run for each command, so the page cannot drift from it), the settings table
// (config/definitions.ts) and the error table (errors/codes.ts).
//   node dist/packaging/man-page.js OUT [DATE]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SETTINGS } from '../src/config/definitions.js';
import { ERROR_CODES } from '../src/errors/codes.js';
import { PGWARD_VERSION } from '../src/version.js';

const LAUNCHER = resolve(import.meta.dirname, '../../bin/pgward.js');

function help(args: string[]): string {
  return execFileSync(process.execPath, [LAUNCHER, ...args, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '78' } });
}

/** roff-safe text: backslashes, and a leading dot or quote that roff would take for a request */
function roff(text: string): string {
  return text
    .replaceAll('\\', '\\e')
    .replaceAll('-', '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

function section(title: string, body: string[]): string[] {
  return [`.SH ${title}`, ...body];
}

function verbatim(text: string): string[] {
  return ['.nf', '.RS 4', roff(text.trimEnd()), '.RE', '.fi'];
}

function commandNames(mainHelp: string): string[] {
  return [...mainHelp.matchAll(/^ {2}pgward ([a-z-]+)/gm)].map((m) => m[1]!);
}

export function manPage(date: string): string {
  const mainHelp = help([]);
  const lines: string[] = [
    `.TH PGWARD 1 "${date}" "pgward ${PGWARD_VERSION}" "User Commands"`,
    ...section('NAME', ['pgward \\- PostgreSQL backups that always come from the cluster you named']),
    ...section('SYNOPSIS', ['.B pgward', '.I command', '[\\fIoptions\\fR]']),
    ...section('DESCRIPTION', [
      roff(
        'pgward archives WAL (archive_command and restore_command) and takes, restores and verifies base backups of PostgreSQL clusters into an S3 or filesystem repository. ' +
          "The cluster's identity is read from its data directory (postmaster.pid, PG_VERSION, pg_control) and checked against the server, and every repository is stamped with the cluster it belongs to.",
      ),
      '.PP',
      'The text below is the program\'s own \\fB\\-\\-help\\fR.',
      ...verbatim(mainHelp),
    ]),
  ];
  const commands = commandNames(mainHelp);
  lines.push('.SH COMMANDS');
  // A command's help repeats the global options the page already shows once: only its own lines stay.
  const shown = new Set(mainHelp.split('\n').filter((line) => line.trim() !== ''));
  for (const name of commands) {
    const own = help([name]).split('\n').filter((line) => !shown.has(line));
    lines.push(`.SS ${roff(name)}`, ...verbatim(own.join('\n').replace(/\n{3,}/g, '\n\n')));
  }
  lines.push(...section('ENVIRONMENT', [roff('Every setting may come from the command line (where it has a flag), the environment, a config file of KEY=VALUE lines (--config, default /etc/pgward/pgward.conf) or a wal-e envdir (--envdir). Of several names, the first given wins.')]));
  for (const definition of Object.values(SETTINGS)) {
    const names = definition.env.join(', ');
    const flag = 'flag' in definition && definition.flag ? ` (\\-\\-${roff(definition.flag)})` : '';
    lines.push('.TP', `.B ${roff(names)}${flag}`, roff(definition.description) + ('secret' in definition && definition.secret ? ' (a secret: never logged)' : ''));
  }
  lines.push('.SH "EXIT STATUS"');
  lines.push('.TP', '.B 0', 'success');
  for (const [code, { exitCode, summary }] of Object.entries(ERROR_CODES)) lines.push('.TP', `.B ${exitCode}`, `${roff(summary)} (${code})`);
  lines.push(
    ...section('FILES', [
      '.TP', '.I /etc/pgward/pgward.conf', 'default settings (a commented example in the package)',
      '.TP', '.I /etc/pgward/<version>\\-<name>.conf', 'settings of one cluster for the pgward@, pgward\\-backup@ and pgward\\-verify@ units',
      '.TP', '.I /run/pgward/', "the daemons' sockets (created at boot by tmpfiles.d)",
    ]),
    ...section('SEE ALSO', ['.BR postgres (1),', '.BR pg_ctlcluster (1),', '.BR systemctl (1);', '/usr/share/doc/pgward/README.md']),
  );
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const out = process.argv[2];
  if (!out) throw new Error('usage: man-page.js OUT [DATE]');
  writeFileSync(out, manPage(process.argv[3] ?? new Date().toISOString().slice(0, 10)));
}

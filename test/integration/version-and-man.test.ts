// pgward version (issue 13): the details a bug report needs, and pgward(1) and the example
// configuration generated from the same sources as --help (every command, every setting, every exit
// code), so the page cannot drift from the program.
import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runPgward } from '../harness/cli.js';
import { REPO_ROOT } from '../harness/paths.js';
import { SETTINGS } from '../../src/config/definitions.js';
import { ERROR_CODES } from '../../src/errors/codes.js';
import { manPage } from '../../packaging/man-page.js';
import { exampleConfig } from '../../packaging/example-config.js';

const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

test('--version, -V and version --json', async () => {
  for (const flag of ['--version', '-V']) expect((await runPgward([flag])).stdout.trim()).toBe(`pgward ${version}`);
  const result = await runPgward(['version', '--json']);
  expect(result.exitCode).toBe(0);
  const about = JSON.parse(result.stdout) as { version: string; node: { version: string }; platform: { os: string; arch: string }; installedIn: string };
  expect(about).toMatchObject({ version, node: { version: process.versions.node }, platform: { os: 'linux', arch: process.arch }, installedIn: REPO_ROOT });
});

test('pgward(1) holds every command, every setting and every exit code', () => {
  const page = manPage('2026-11-22');
  expect(page).toMatch(/^\.TH PGWARD 1 "2026-11-22"/);
  for (const command of ['wal-push', 'wal-fetch', 'backup-push', 'backup-fetch', 'backup-verify', 'status', 'daemon', 'version']) expect(page).toContain(`.SS ${command.replaceAll('-', '\\-')}`);
  for (const definition of Object.values(SETTINGS)) expect(page).toContain(definition.env[0]!.replaceAll('-', '\\-'));
  for (const { exitCode } of Object.values(ERROR_CODES)) expect(page).toContain(`.B ${exitCode}\n`);
  // Nothing roff would take for a request: no line of help text may start with a dot.
  expect(page.split('\n').filter((line) => /^\.[a-z]/.test(line) && !/^\.(TH|SH|SS|TP|B|BR|I|PP|RS|RE|nf|fi)\b/.test(line))).toEqual([]);
}, 60_000);

test('the example configuration lists every setting, all commented out', () => {
  const text = exampleConfig();
  for (const definition of Object.values(SETTINGS)) expect(text).toContain(`#${definition.env[0]}=`);
  expect(text.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'))).toEqual([]);
});

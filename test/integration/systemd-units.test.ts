// The systemd units, as install-units writes them, pass systemd-analyze verify for a Debian-style
// instance, and their ExecStart runs this installation's pgward with Node >= 22.
import { expect } from '@jest/globals';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { runPgward } from '../harness/cli.js';
import { postgresOwnedDir } from '../harness/postgres.js';
import { testNeeding } from '../harness/tools.js';

testNeeding([['systemd-analyze', 'systemd']])('install-units, then systemd-analyze verify every unit', async () => {
  const dest = postgresOwnedDir('units-');
  const installed = await runPgward(['install-units', '--dest', dest]);
  expect(installed.exitCode).toBe(0);
  const instances = ['pgward@.service', 'pgward-backup@.service', 'pgward-backup@.timer'].map((unit) => {
    const instance = join(dest, unit.replace('@', '@15-main'));
    copyFileSync(join(dest, unit), instance);
    return instance;
  });
  const verify = await execa('systemd-analyze', ['verify', ...instances], { reject: false });
  expect({ exitCode: verify.exitCode, stderr: verify.stderr }).toEqual({ exitCode: 0, stderr: '' });
  const service = readFileSync(join(dest, 'pgward@.service'), 'utf8');
  expect(service).toContain(`ExecStart=${process.execPath} `);
  expect(service).toMatch(/Type=notify/);
  expect(service).toMatch(/User=postgres/);
  expect(service).not.toMatch(/@NODE@|@PGWARD@/);
});

// install-units writes pgward-verify@.service and its daily timer (issue 10), passing
// systemd-analyze verify for a Debian-style instance; the service verifies LATEST with the
// instance's settings file and its scratch in the unit's private /var/tmp.
import { expect } from '@jest/globals';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { runPgward } from '../harness/cli.js';
import { postgresOwnedDir } from '../harness/postgres.js';
import { testNeeding } from '../harness/tools.js';

testNeeding([['systemd-analyze', 'systemd']])('install-units writes pgward-verify@ units that systemd-analyze verify accepts', async () => {
  const dest = postgresOwnedDir('verify-units-');
  const installed = await runPgward(['install-units', '--dest', dest]);
  expect(installed.exitCode).toBe(0);
  const instances = ['pgward-verify@.service', 'pgward-verify@.timer', 'pgward-backup@.service'].map((unit) => {
    const instance = join(dest, unit.replace('@', '@15-main'));
    copyFileSync(join(dest, unit), instance);
    return instance;
  });
  const verify = await execa('systemd-analyze', ['verify', ...instances], { reject: false });
  expect({ exitCode: verify.exitCode, stderr: verify.stderr }).toEqual({ exitCode: 0, stderr: '' });
  const service = readFileSync(join(dest, 'pgward-verify@.service'), 'utf8');
  expect(service).toContain(`ExecStart=${process.execPath} `);
  expect(service).toMatch(/--config \/etc\/pgward\/%i.conf backup-verify --all-unverified/);
  expect(service).toMatch(/PrivateTmp=yes/);
  expect(readFileSync(join(dest, 'pgward-verify@.timer'), 'utf8')).toMatch(/OnCalendar=/);
});

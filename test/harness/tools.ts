// Tests that need an optional command-line tool (lzop, brotli, docker-compose, systemd-analyze...).
// On a developer's machine without it, the tests are skipped and one line says which Debian package
// to install; under CI (CI=true, where .ci/run installs them all) a missing tool fails the test, so
// nothing is skipped silently where it counts.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { test } from '@jest/globals';

export function hasTool(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const announced = new Set<string>();

/** `test` when every command is installed; otherwise a skip with a one-line reason (a failure under CI). */
export function testNeeding(commands: Array<[command: string, debianPackage: string]>): typeof test {
  const missing = commands.filter(([command]) => !hasTool(command));
  if (missing.length === 0) return test;
  const install = `apt-get install ${[...new Set(missing.map(([, pkg]) => pkg))].join(' ')}`;
  const names = missing.map(([command]) => command).join(', ');
  if (process.env.CI) {
    const failing = ((name: string) => test(name, () => {
      throw new Error(`${names} missing: ${install} (CI must run every test)`);
    })) as unknown as typeof test;
    failing.each = ((table: unknown[]) => (name: string) => {
      for (const row of table) test(`${name} ${JSON.stringify(row)}`, () => {
        throw new Error(`${names} missing: ${install} (CI must run every test)`);
      });
    }) as unknown as typeof test.each;
    return failing;
  }
  if (!announced.has(install)) {
    announced.add(install);
    process.stderr.write(`skipping tests that need ${names}: ${install}\n`);
  }
  return test.skip as typeof test;
}

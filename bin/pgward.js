#!/usr/bin/env node
// Entry point. Checks the Node.js version before loading anything that needs a newer one, and turns
// on Node's compile cache: PostgreSQL starts pgward once per WAL segment, so start-up time matters.
import module from 'node:module';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `pgward: ERROR: Node.js ${process.versions.node} is too old\nHINT: install Node.js 22 or newer (pgward is tested on Node.js 24)\n`,
  );
  process.exitCode = 2;
} else {
  module.enableCompileCache?.();
  const { run } = await import('../dist/src/cli/main.js');
  await run(process.argv.slice(2));
}

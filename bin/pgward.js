#!/usr/bin/env node
// Entry point. Checks the Node.js version before loading anything that needs a newer one, and turns
// on Node's compile cache: PostgreSQL starts pgward once per WAL segment, so start-up time matters.
import module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write(
    `pgward: ERROR: Node.js ${process.versions.node} is too old\nHINT: install Node.js 22 or newer (pgward is tested on Node.js 24)\n`,
  );
  process.exitCode = 2;
} else {
  // One cache per OS user: root's default /tmp/node-compile-cache is not writable for postgres.
  module.enableCompileCache?.(join(tmpdir(), `pgward-compile-cache-${process.getuid?.() ?? 'user'}`));
  const { run } = await import('../dist/src/cli/main.js');
  await run(process.argv.slice(2));
  // Everything pgward prints is written synchronously, so once the command is done nothing is lost by
  // exiting. A socket an SDK keeps alive must not hold archive_command open: leave within 2 s at most.
  setTimeout(() => process.exit(), 2000).unref();
}

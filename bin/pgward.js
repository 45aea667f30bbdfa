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
  // Two thread-pool threads, not libuv's four, unless the administrator chose: every thread that
  // compresses lz4 keeps its own cache in lz4-napi's allocator (mimalloc), so four held ~30 MB more of
  // backup-push's peak RSS, for no speed on two cores. Set before anything uses the pool. The daemon
  // keeps four: its uploads ahead each wait on an fsync there, and archive_command waits behind them.
  if (!process.argv.slice(2).includes('daemon')) process.env.UV_THREADPOOL_SIZE ??= '2';
  // One cache per OS user: root's default /tmp/node-compile-cache is not writable for postgres.
  module.enableCompileCache?.(join(tmpdir(), `pgward-compile-cache-${process.getuid?.() ?? 'user'}`));
  const { run } = await import('../dist/src/cli/main.js');
  await run(process.argv.slice(2));
  // Everything pgward prints is written synchronously, so once the command is done nothing is lost by
  // exiting. A socket an SDK keeps alive must not hold archive_command open: leave within 2 s at most.
  setTimeout(() => process.exit(), 2000).unref();
}

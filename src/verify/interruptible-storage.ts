// The repository as the restore of a verification sees it: every stream it hands out is destroyed
// with the abort's error (InterruptedError on SIGTERM/SIGINT, a failed verdict at --timeout), so a restore
// in progress stops at once and backup-fetch's own clean-up removes what it wrote.
import type { Readable } from 'node:stream';
import type { PgwardError } from '../errors/errors.js';
import type { Storage } from '../storage/storage.js';

export function interruptible(storage: Storage, signal: AbortSignal, reason: () => PgwardError): Storage {
  const open = new Set<Readable>();
  signal.addEventListener('abort', () => {
    for (const stream of open) stream.destroy(reason());
  });
  return {
    location: storage.location,
    put: (key, body, options) => storage.put(key, body, options),
    putIfAbsent: (key, body, options) => storage.putIfAbsent(key, body, options),
    replace: (key, body, etag, options) => storage.replace(key, body, etag, options),
    async get(key) {
      if (signal.aborted) throw reason();
      const stream = await storage.get(key);
      if (!stream) return stream;
      if (signal.aborted) {
        stream.destroy();
        throw reason();
      }
      open.add(stream);
      stream.once('close', () => open.delete(stream));
      return stream;
    },
    head: (key) => storage.head(key),
    list: (prefix) => storage.list(prefix),
    deleteMany: (keys) => storage.deleteMany(keys),
    listIncomplete: () => storage.listIncomplete(),
    removeIncomplete: (writes) => storage.removeIncomplete(writes),
    close: () => storage.close(),
  };
}

// The restore's hashing thread. The main thread parses the tar stream and copies each file's bytes
// into a shared ring; this thread computes every restored file's sha256 from that ring while the
// main thread goes on parsing and the thread pool writes, so a restore uses both cores. Messages
// are handled in order, so a file's digest is sent after all of its updates.
import { createHash, type Hash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import type { HashReply, HashRequest } from './hash-protocol.js';

const ring = Buffer.from(workerData as SharedArrayBuffer);
const hashes = new Map<number, Hash>();
const port = parentPort!;

port.on('message', (request: HashRequest) => {
  let hash = hashes.get(request.file);
  if (!hash) hashes.set(request.file, (hash = createHash('sha256')));
  if (request.kind === 'update') {
    hash.update(ring.subarray(request.start, request.start + request.length));
    port.postMessage({ kind: 'hashed', region: request.region } satisfies HashReply);
    return;
  }
  hashes.delete(request.file);
  port.postMessage({ kind: 'digest', file: request.file, sha256: hash.digest('hex') } satisfies HashReply);
});

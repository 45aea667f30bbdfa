// The fast path of wal-push and wal-fetch: one request to the cluster's daemon over its socket.
// Deliberately light (no logger, no AWS SDK): it runs once per WAL file. `undefined` means "no daemon
// answered": the caller then does the work itself, so archiving never depends on the daemon.
import { createConnection } from 'node:net';
import { encodeFrame, FrameReader, parseResponse, type Request, type Response } from './protocol.js';

export async function callDaemon(socketPath: string, request: Request, timeoutMs: number): Promise<Response | undefined> {
  // EAGAIN: the daemon's accept queue is full for a moment; that is not "no daemon".
  for (let attempt = 0; attempt < 20; attempt++) {
    const result = await callOnce(socketPath, request, timeoutMs);
    if (result !== 'busy') return result;
    await new Promise((resolve) => setTimeout(resolve, 10 + attempt * 10));
  }
  return undefined;
}

function callOnce(socketPath: string, request: Request, timeoutMs: number): Promise<Response | undefined | 'busy'> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    const reader = new FrameReader();
    let settled = false;
    const finish = (value: Response | undefined | 'busy'): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.once('connect', () => socket.write(encodeFrame(request)));
    socket.on('data', (chunk: Buffer) => {
      try {
        const frame = reader.push(chunk)[0];
        if (frame) finish(parseResponse(frame));
      } catch {
        finish(undefined);
      }
    });
    socket.once('error', (err: NodeJS.ErrnoException) => finish(err.code === 'EAGAIN' ? 'busy' : undefined));
    socket.once('close', () => finish(undefined));
  });
}

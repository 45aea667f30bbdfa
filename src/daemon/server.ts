// The daemon's Unix socket: mode 0600 (only the cluster's OS user may ask), frames as protocol.ts
// defines them, each request answered by the handler. Malformed input never reaches the handler:
// one error response with id 0, then the connection is closed. Idle connections are dropped.
import { chmod, mkdir, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import type { Logger } from '../log/logger.js';
import { encodeFrame, FrameReader, parseRequest, ProtocolError, type Request, type Response } from './protocol.js';

const IDLE_MS = 60_000;

async function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

export async function listen(path: string, handle: (request: Request) => Promise<Response>, log: Logger): Promise<Server> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  if (await socketInUse(path)) throw new Error(`another daemon already listens on ${path}`);
  await unlink(path).catch(() => undefined);
  const server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
    const reader = new FrameReader();
    let pending = 0;
    let ended = false;
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    socket.on('error', () => undefined);
    const refuse = (message: string): void => {
      log.warn({ message }, 'protocol error on the daemon socket; connection closed');
      if (socket.writable) socket.end(encodeFrame({ v: 1, id: 0, ok: false, code: 'USAGE', exitCode: 2, message: `protocol error: ${message}` }));
      else socket.destroy();
    };
    socket.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        return refuse((err as Error).message);
      }
      for (const frame of frames) {
        let request: Request;
        try {
          request = parseRequest(frame);
        } catch (err) {
          if (err instanceof ProtocolError) return refuse(err.message);
          throw err;
        }
        pending++;
        handle(request)
          .then(
            (response) => socket.writable && socket.write(encodeFrame(response)),
            (err: Error) => socket.writable && socket.write(encodeFrame({ v: 1, id: request.id, ok: false, code: 'INTERNAL', exitCode: 70, message: err.message })),
          )
          .finally(() => {
            // A client may half-close right after its request: answer before closing.
            if (--pending === 0 && ended) socket.end();
          });
      }
    });
    socket.on('end', () => {
      if (reader.pendingBytes > 0) log.warn({ bytes: reader.pendingBytes }, 'truncated frame on the daemon socket');
      ended = true;
      if (pending === 0) socket.end();
    });
  });
  server.maxConnections = 4096;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep backlog: archive_command bursts (and the 1,000-client test) must not see EAGAIN.
    server.listen({ path, backlog: 4096 }, () => resolve());
  });
  await chmod(path, 0o600);
  return server;
}

// The daemon's Unix socket: mode 0600 (only the cluster's OS user may ask), frames as protocol.ts
// defines them, each request answered by the handler. Malformed, truncated or overdue input never
// reaches the handler: one error response with id 0, then the connection is closed.
import { constants } from 'node:fs';
import { access, chmod, lstat, mkdir, unlink } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { ConfigError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import { SOCKET_DIR } from './socket-path.js';
import { encodeFrame, FrameReader, parseRequest, ProtocolError, type Request, type Response } from './protocol.js';

const IDLE_MS = 60_000;
/** How long a connection may take to deliver a complete request; the client writes it at once. */
const REQUEST_MS = 10_000;
const PROTOCOL_HINT = 'only pgward wal-push and wal-fetch of the same version speak this socket: each sends one length-prefixed JSON request at once';

async function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    // A socket this user may not connect to may well be live (another user's daemon): never steal it.
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EACCES' || err.code === 'EPERM'));
  });
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'postgres');
  }
}

/** The socket's folder, created when this user may; otherwise a usage error saying how to create it. */
async function ensureSocketFolder(path: string): Promise<void> {
  const folder = dirname(path);
  const user = userName();
  const how = `create it for the daemon's user: install -d -o ${user} -g ${user} ${folder} (the pgward@ systemd unit creates ${SOCKET_DIR} itself), or choose another folder with --socket or PGWARD_DAEMON_SOCKET`;
  try {
    await mkdir(folder, { recursive: true, mode: 0o755 });
    await access(folder, constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError(`cannot use ${folder} for the daemon socket: ${code === 'EACCES' || code === 'EPERM' ? `${user} may not create or write it` : code}`, { hint: how, cause: err });
  }
}

/**
 * A live daemon answering on the socket keeps it: a second one must not steal the path (the first
 * would go on running unreachable). A socket file nobody answers on is what a killed daemon leaves
 * behind, and is taken over.
 */
async function claimSocketPath(path: string, log: Logger): Promise<void> {
  if (await socketInUse(path)) {
    throw new ConfigError(`another pgward daemon is already serving on ${path}`, {
      hint: `stop that daemon first (systemctl stop pgward@<instance>), or give this one its own --socket`,
    });
  }
  const stale = await lstat(path).catch(() => undefined);
  if (!stale) return;
  if (!stale.isSocket()) {
    throw new ConfigError(`${path} exists and is not a socket`, { hint: 'remove it or choose another --socket path' });
  }
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    throw new ConfigError(`cannot remove the stale socket ${path}: ${err.code ?? err.message}`, { hint: `remove it as its owner, or choose another --socket`, cause: err });
  });
  log.info({ socket: path }, 'removed a stale socket file that no daemon answered on');
}

/**
 * One connection. Every way a client can misbehave ends the same way, with one error frame (id 0)
 * while the socket is still open, then the connection closed: an oversized length, a frame that is
 * not a request, a frame cut off by the end of the stream, and a client that does not complete a
 * request within REQUEST_MS (silent, or trickling a frame). The time a request takes to handle is
 * not bounded here: an upload has its own bounds.
 */
function serve(socket: Socket, handle: (request: Request) => Promise<Response>, log: Logger): void {
  const reader = new FrameReader();
  let pending = 0;
  let ended = false;
  let closed = false;
  let waiting: NodeJS.Timeout | undefined;
  socket.setTimeout(IDLE_MS, () => socket.destroy());
  socket.on('error', () => undefined);
  const refuse = (message: string): void => {
    if (closed) return;
    closed = true;
    clearTimeout(waiting);
    log.warn({ message }, 'protocol error on the daemon socket; connection closed');
    if (socket.writable) socket.end(encodeFrame({ v: 1, id: 0, ok: false, code: 'USAGE', exitCode: 2, message: `protocol error: ${message}`, hint: PROTOCOL_HINT }));
    else socket.destroy();
  };
  // Armed whenever the daemon waits for a request; a frame trickling in does not re-arm it.
  const awaitRequest = (): void => {
    clearTimeout(waiting);
    waiting = setTimeout(() => {
      const partial = reader.pendingBytes;
      refuse(`no complete request within ${REQUEST_MS / 1000} s${partial > 0 ? ` (${partial} bytes of a frame received)` : ''}`);
    }, REQUEST_MS);
  };
  const finish = (): void => {
    if (closed) return;
    if (reader.pendingBytes > 0) return refuse(`truncated frame: the stream ended after ${reader.pendingBytes} bytes of a frame`);
    closed = true;
    clearTimeout(waiting);
    socket.end();
  };
  awaitRequest();
  socket.on('data', (chunk: Buffer) => {
    if (closed) return;
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
      if (pending++ === 0) clearTimeout(waiting);
      handle(request)
        .then(
          (response) => socket.writable && socket.write(encodeFrame(response)),
          (err: Error) => socket.writable && socket.write(encodeFrame({ v: 1, id: request.id, ok: false, code: 'INTERNAL', exitCode: 70, message: err.message })),
        )
        .finally(() => {
          if (--pending > 0 || closed) return;
          // A client may half-close right after its request: answer before closing.
          if (ended) finish();
          else awaitRequest();
        });
    }
  });
  socket.on('end', () => {
    ended = true;
    if (pending === 0) finish();
  });
  socket.on('close', () => clearTimeout(waiting));
}

export async function listen(path: string, handle: (request: Request) => Promise<Response>, log: Logger): Promise<Server> {
  await ensureSocketFolder(path);
  await claimSocketPath(path, log);
  const server = createServer({ allowHalfOpen: true }, (socket: Socket) => serve(socket, handle, log));
  server.maxConnections = 4096;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      // Another daemon may have bound the path between the probe and here.
      if (err.code === 'EADDRINUSE') reject(new ConfigError(`another pgward daemon is already serving on ${path}`, { hint: 'stop that daemon first, or give this one its own --socket', cause: err }));
      else if (err.code === 'EACCES' || err.code === 'EPERM') reject(new ConfigError(`cannot create the daemon socket ${path}: ${err.code}`, { hint: `let the daemon's user write ${dirname(path)}, or choose another --socket`, cause: err }));
      else reject(new ConfigError(`cannot listen on ${path}: ${err.code ?? err.message}`, { hint: 'choose another --socket path (a socket path has at most 107 bytes)', cause: err }));
    });
    // A deep backlog: archive_command bursts (and the 1,000-client test) must not see EAGAIN.
    server.listen({ path, backlog: 4096 }, () => resolve());
  });
  await chmod(path, 0o600);
  return server;
}

// The daemon's Unix socket: mode 0600 (only the cluster's OS user may ask), frames as protocol.ts
// defines them, each request answered by the handler. Malformed input never reaches the handler:
// one error response with id 0, then the connection is closed. Idle connections are dropped.
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

export async function listen(path: string, handle: (request: Request) => Promise<Response>, log: Logger): Promise<Server> {
  await ensureSocketFolder(path);
  await claimSocketPath(path, log);
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

// The daemon's opt-in HTTP endpoint (PGWARD_METRICS_LISTEN=host:port): GET /metrics and nothing else.
// A scraper must never slow archiving: requests and idle connections are cut short, connections are
// capped, and closing the daemon closes every connection at once.
import { createServer, type Server } from 'node:http';
import { UsageError } from '../errors/errors.js';
import type { Logger } from '../log/logger.js';
import type { Registry } from 'prom-client';

export interface ListenAddress {
  host: string;
  port: number;
}

/** `host:port` or `[v6]:port`; the host is required, so the endpoint is never opened to all by accident. */
export function parseListenAddress(value: string, source: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new UsageError(`PGWARD_METRICS_LISTEN ${JSON.stringify(value)} (${source}) is not host:port`, { hint: 'e.g. 127.0.0.1:9187, or 0.0.0.0:9187 to let a Prometheus on another host scrape it' });
  }
  return { host: match[1] ?? match[2]!, port };
}

export async function serveMetrics(address: ListenAddress, registry: Registry, log: Logger): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || (request.url ?? '').split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('pgward serves GET /metrics only\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  server.requestTimeout = 5000;
  server.headersTimeout = 3000;
  server.keepAliveTimeout = 1000;
  server.maxConnections = 16;
  server.setTimeout(5000, (socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const where = `${address.host}:${address.port}`;
      reject(
        err.code === 'EADDRINUSE'
          ? new UsageError(`cannot serve metrics on ${where}: the address is in use`, { hint: 'choose another port in PGWARD_METRICS_LISTEN (one per cluster daemon)' })
          : new UsageError(`cannot serve metrics on ${where}: ${err.code ?? err.message}`, { hint: 'PGWARD_METRICS_LISTEN must name an address of this host and a port this user may bind' }),
      );
    });
    server.listen(address.port, address.host, () => resolve());
  });
  log.info({ metrics: `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}/metrics` }, `serving metrics on ${address.host}:${address.port}`);
  return server;
}

export function closeMetrics(server: Server | undefined): void {
  if (!server) return;
  server.close();
  server.closeAllConnections();
}

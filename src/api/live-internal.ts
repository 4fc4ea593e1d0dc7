/**
 * A worker's internal live view endpoint: API nodes relay viewers of the runs this worker
 * executes through it (live-relay.ts). `GET /runs/{run_id}` upgrades to a WebSocket speaking the
 * public protocol after authentication (frames, `end`, `error`); the credential comes in the
 * Authorization header and binds the run and the viewer's organization, so nothing is streamed
 * without one and never another organization's run. Not meant to be exposed beyond the nodes.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { type WebSocket, WebSocketServer } from 'ws';
import { LIVE_AUTH_SCHEME, type LiveGrant, type LiveRelayTokens } from './live-relay.js';
import { failWith, keepAlive, LiveError, type RunTarget, streamEntry } from './live-stream.js';

export interface InternalLiveServerOptions {
  host: string;
  port: number;
  tokens: LiveRelayTokens;
  /** Finds the run in this process (runLocator); a run held by another worker is refused. */
  locate: (organizationId: string, runId: string, closed: AbortSignal) => Promise<RunTarget | null>;
  logger: FastifyBaseLogger;
}

export interface InternalLiveServer {
  /** ws://host:port as bound (an ephemeral port resolved). */
  address: string;
  close(): Promise<void>;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`,
  );
}

export async function startInternalLiveServer(
  options: InternalLiveServerOptions,
): Promise<InternalLiveServer> {
  const { tokens, locate, logger } = options;
  const sockets = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const server = createServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
    response.end('Wren worker live view endpoint: WebSocket only, for API nodes\n');
  });

  const serve = async (socket: WebSocket, grant: LiveGrant) => {
    const closed = new AbortController();
    socket.once('close', () => closed.abort());
    let target: RunTarget | null;
    try {
      target = await locate(grant.organizationId, grant.runId, closed.signal);
      if (target && !('entry' in target)) {
        throw new LiveError(
          `run ${grant.runId} now executes on another worker; reconnect to watch it there`,
        );
      }
      if (target && target.entry.organizationId !== grant.organizationId) {
        throw new LiveError(`Task run not found ${grant.runId}`);
      }
    } catch (e) {
      failWith(socket, e, logger, { run_id: grant.runId, endpoint: 'internal' });
      return;
    }
    if (!target || closed.signal.aborted) return;
    const stopPings = keepAlive(socket);
    try {
      await streamEntry(socket, target.entry, closed.signal);
    } finally {
      stopPings();
    }
  };

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Matched at the end of the path: a proxy in front may keep its own prefix.
    const match = /\/runs\/([^/]+)$/.exec(new URL(request.url ?? '/', 'http://x').pathname);
    if (!match) return refuse(socket, 404, 'Not Found');
    const runId = decodeURIComponent(match[1] as string);
    const header = request.headers.authorization ?? '';
    const token = header.startsWith(`${LIVE_AUTH_SCHEME} `)
      ? header.slice(LIVE_AUTH_SCHEME.length + 1).trim()
      : '';
    const grant = token ? tokens.verify(token, runId) : null;
    if (!grant) {
      logger.warn(
        { run_id: runId, remote: request.socket.remoteAddress },
        'refused a live view relay without a valid credential',
      );
      return refuse(socket, 401, 'Unauthorized');
    }
    sockets.handleUpgrade(request, socket, head, (ws) => void serve(ws, grant));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new Error(
          `the worker's live view endpoint cannot listen on ${options.host}:${options.port} (WREN_LIVE_HOST, WREN_LIVE_PORT): ${error.message}`,
        ),
      ),
    );
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    address: `ws://${host}:${bound.port}`,
    async close() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The only way into a session's browser from outside Wren. Each session's Chromium listens on a
 * loopback DevTools port that is never handed out (and that no page or run may connect to,
 * src/net/own-endpoints.ts); its browser_address names this gateway instead, with the session's
 * id and a random per-session token in the path:
 *
 *   ws://<host>:<port>/browser_sessions/<pbs_id>/<token>
 *
 * The gateway relays that WebSocket to the session's Chromium, message for message. Without the
 * right token (compared in constant time) the answer is the same 404 as for an unknown session.
 * `…/<token>/json/version` answers like DevTools does, so `connectOverCDP("http://…/<token>")`
 * and Puppeteer's `browserURL` work too. The token is only in the session's API responses, which
 * only its organization can read.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { type RawData, WebSocket, WebSocketServer } from 'ws';

/** CDP messages carry screenshots and DOM snapshots: allow large ones. */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** Path prefix of session addresses on the gateway. */
export const GATEWAY_PREFIX = '/browser_sessions/';

export interface CdpGateway {
  /** Port the gateway listens on (an ephemeral one resolved). */
  port: number;
  close(): Promise<void>;
}

/** A session's address on the gateway: `{id, token, rest}` of a path, or null. */
export function parseGatewayPath(
  pathname: string,
): { id: string; token: string; rest: string } | null {
  const m = /^\/browser_sessions\/([\w-]+)\/([\w-]+)(\/.*)?$/.exec(pathname);
  if (!m) return null;
  return { id: m[1] as string, token: m[2] as string, rest: m[3] ?? '' };
}

export async function startCdpGateway(options: {
  host: string;
  port: number;
  /**
   * The loopback ws:// DevTools URL of the session a gateway path names when its token is right,
   * else null.
   */
  resolve: (id: string, token: string) => string | null;
  logger: Logger;
}): Promise<CdpGateway> {
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const target = (request: IncomingMessage) => {
    const path = parseGatewayPath(new URL(request.url ?? '/', 'http://gateway').pathname);
    const upstream = path ? options.resolve(path.id, path.token) : null;
    return path && upstream ? { path, upstream } : null;
  };
  const notFound = (response: ServerResponse) => {
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('Not found\n');
  };
  const server = createServer((request, response) => {
    const found = target(request);
    if (!found) return notFound(response);
    if (request.method === 'GET' && /^\/json\/version\/?$/.test(found.path.rest)) {
      // DevTools' discovery answer, pointing at this gateway path (Playwright's and Puppeteer's
      // http:// form). Browser and protocol versions come from the session's Chromium.
      const http = new URL(found.upstream);
      http.protocol = 'http:';
      http.pathname = '/json/version';
      void fetch(http, { signal: AbortSignal.timeout(10_000) })
        .then((r) => r.json() as Promise<Record<string, unknown>>)
        .then((version) => {
          const host =
            request.headers.host ?? `127.0.0.1:${(server.address() as AddressInfo).port}`;
          const ws = `ws://${host}${GATEWAY_PREFIX}${found.path.id}/${found.path.token}`;
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ ...version, webSocketDebuggerUrl: ws }));
        })
        .catch(() => notFound(response));
      return;
    }
    if (found.path.rest !== '') return notFound(response);
    response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
    response.end('Wren session browser gateway: connect with the ws:// browser_address\n');
  });
  server.on('upgrade', (request, socket, head) => {
    const found = target(request);
    if (found?.path.rest !== '') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (client) => relay(client, found.upstream));
  });

  const relay = (client: WebSocket, upstreamUrl: string) => {
    const upstream = new WebSocket(upstreamUrl, {
      maxPayload: MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
    });
    const pending: { data: RawData; binary: boolean }[] = [];
    client.on('message', (data, binary) => {
      if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary });
      else pending.push({ data, binary });
    });
    upstream.on('open', () => {
      for (const m of pending.splice(0)) upstream.send(m.data, { binary: m.binary });
    });
    upstream.on('message', (data, binary) => {
      if (client.readyState === WebSocket.OPEN) client.send(data, { binary });
    });
    const end = () => {
      client.terminate();
      upstream.terminate();
    };
    client.on('close', end);
    client.on('error', end);
    upstream.on('close', end);
    upstream.on('error', (error) => {
      options.logger.warn({ err: error }, 'session browser gateway: upstream failed');
      end();
    });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const c of sockets.clients) c.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Makes this node's session browsers reachable from other nodes. Chromium's DevTools only listens
 * on loopback (headless Chromium ignores --remote-debugging-address, and refuses a Host header
 * that is a name), so a node configured with a non-loopback WREN_SESSION_HOST serves one
 * WebSocket listener there and relays `/devtools/browser/<id>` to the local Chromium with that id,
 * message for message. Like DevTools itself it does not authenticate: bind a private interface.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { type RawData, WebSocket, WebSocketServer } from 'ws';

/** CDP messages carry screenshots and DOM snapshots: allow large ones. */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export interface CdpGateway {
  /** Port the gateway listens on (an ephemeral one resolved). */
  port: number;
  close(): Promise<void>;
}

export async function startCdpGateway(options: {
  host: string;
  port: number;
  /** The loopback ws:// DevTools URL serving this path, or null when none does. */
  resolve: (path: string) => string | null;
  logger: Logger;
}): Promise<CdpGateway> {
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const server = createServer((_request, response) => {
    response.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
    response.end('Wren session browser gateway: connect with the ws:// browser_address\n');
  });
  server.on('upgrade', (request, socket, head) => {
    const target = options.resolve(new URL(request.url ?? '/', 'http://gateway').pathname);
    if (!target) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (client) => relay(client, target));
  });

  const relay = (client: WebSocket, target: string) => {
    const upstream = new WebSocket(target, {
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
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

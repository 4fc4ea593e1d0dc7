/**
 * The CDP connection to a caller's browser_address, opened by Wren itself: the WebSocket goes to
 * the addresses the egress policy passed and nowhere else (no second lookup, so no DNS rebinding
 * for wss:// names either) and a redirect is refused. Playwright's connectOverCDP follows one
 * redirect of the upgrade to any address, with the caller's cdp_connect_headers (issue 17), so it
 * is handed a one-use relay on loopback instead: a random path, one connection, then the listener
 * closes; its port counts as one of Wren's own endpoints while it lives, so no page reaches it.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { reserveOwnPort } from '../net/index.js';

/** CDP messages carry screenshots and DOM snapshots: allow large ones. */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export interface CdpRelay {
  /** ws://127.0.0.1:<port>/<token>: where Playwright connects (once). */
  readonly url: string;
  close(): void;
}

/** A lookup that answers only with `addresses` (already checked by the policy). */
function fixedLookup(addresses: readonly string[]): LookupFunction {
  const family = (a: string) => (a.includes(':') ? 6 : 4);
  return (_hostname, options, callback) => {
    const wanted =
      options.family === 4 || options.family === 6
        ? addresses.filter((a) => family(a) === options.family)
        : [...addresses];
    const first = wanted[0];
    if (!first) {
      return callback(new Error('no checked address') as NodeJS.ErrnoException, '', 0);
    }
    if (options.all) {
      return (callback as unknown as (e: null, all: { address: string; family: number }[]) => void)(
        null,
        wanted.map((address) => ({ address, family: family(address) })),
      );
    }
    callback(null, first, family(first));
  };
}

function openUpstream(
  endpoint: string,
  addresses: readonly string[],
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(endpoint, {
      headers,
      followRedirects: false,
      lookup: fixedLookup(addresses),
      maxPayload: MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
    });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (request, response) => {
      response.resume();
      request.destroy();
      reject(new Error(`the CDP endpoint answered ${response.statusCode} instead of upgrading`));
    });
  });
}

/**
 * Connects to `endpoint` (a ws:// or wss:// URL whose host resolved to `addresses`, all checked)
 * and returns the loopback relay to hand to Playwright.
 */
export async function openCdpRelay(
  endpoint: string,
  addresses: readonly string[],
  options: { headers?: Record<string, string> | null; timeoutMs?: number } = {},
): Promise<CdpRelay> {
  const upstream = await openUpstream(
    endpoint,
    addresses,
    options.headers ?? {},
    options.timeoutMs ?? 120_000,
  );
  // Held until Playwright attaches (a browser may send events before it is asked anything).
  const early: Array<[RawData, boolean]> = [];
  const hold = (data: RawData, binary: boolean) => early.push([data, binary]);
  upstream.on('message', hold);

  const token = randomBytes(24).toString('base64url');
  const server = createServer((_request, response) => {
    response.writeHead(404);
    response.end();
  });
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  let client: WebSocket | null = null;
  let release: () => void = () => {};
  const close = () => {
    release();
    server.close();
    upstream.terminate();
    client?.terminate();
  };
  server.on('upgrade', (request, socket, head) => {
    if (client !== null || request.url !== `/${token}`) {
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      client = ws;
      // One connection only: nothing else may attach to the caller's browser through here.
      server.close();
      upstream.off('message', hold);
      for (const [data, binary] of early.splice(0)) ws.send(data, { binary });
      upstream.on('message', (data, binary) => ws.send(data, { binary }));
      ws.on('message', (data, binary) => upstream.send(data, { binary }));
      ws.on('close', close);
      ws.on('error', close);
    });
  });
  upstream.on('close', close);
  upstream.on('error', close);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  release = reserveOwnPort(port);
  return { url: `ws://127.0.0.1:${port}/${token}`, close };
}

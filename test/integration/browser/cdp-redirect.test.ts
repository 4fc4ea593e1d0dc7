/**
 * A caller's browser_address is checked and pinned before Wren connects, and the CDP client must
 * not be sent anywhere else afterwards: a "public" endpoint that answers the WebSocket upgrade
 * with a redirect to a private address (a loopback DevTools port, cloud metadata) is not
 * followed. Loopback only: 127.0.0.2 plays the public internet (WREN_TEST_PUBLIC_ADDRESSES),
 * 127.0.0.1 the private network.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { connectCallerCdp } from '../../../src/browser/index.js';
import type { EgressPolicy } from '../../../src/net/index.js';

const privateHits: string[] = [];
const servers: Server[] = [];
let publicPort = 0;
let privatePort = 0;

beforeAll(async () => {
  // The "private" side: anything that upgrades here was reached around the policy.
  const inside = createServer((req, res) => {
    privateHits.push(`${req.method} ${req.url}`);
    res.end('{}');
  });
  const wss = new WebSocketServer({ noServer: true });
  inside.on('upgrade', (req, socket, head) => {
    privateHits.push(`upgrade ${req.url} ${req.headers['metadata-flavor'] ?? ''}`);
    wss.handleUpgrade(req, socket, head, (ws) => ws.close());
  });
  inside.listen(0, '127.0.0.1');
  await once(inside, 'listening');
  privatePort = (inside.address() as AddressInfo).port;
  // The "public" endpoint: redirects the CDP WebSocket to the private one.
  const outside = createServer((_req, res) => res.end('{}'));
  outside.on('upgrade', (_req, socket) => {
    socket.end(
      `HTTP/1.1 302 Found\r\nLocation: ws://127.0.0.1:${privatePort}/computeMetadata/v1/\r\nContent-Length: 0\r\n\r\n`,
    );
  });
  outside.listen(0, '127.0.0.2');
  await once(outside, 'listening');
  publicPort = (outside.address() as AddressInfo).port;
  servers.push(inside, outside);
});

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((done) => s.close(done))));
});

/** Strict, with 127.0.0.2 (and the name public.test) as the internet. */
const policy: EgressPolicy = {
  resolve: async (name) => (name === 'public.test' ? ['127.0.0.2'] : ['127.0.0.1']),
  publicAddresses: ['127.0.0.2'],
  allowPrivateNetworks: false,
};

describe('browser_address redirects', () => {
  it('does not follow a WebSocket redirect from a public endpoint to a private address', async () => {
    for (const host of ['127.0.0.2', 'public.test']) {
      await expect(
        connectCallerCdp(`ws://${host}:${publicPort}/devtools/browser/x`, {
          policy,
          headers: { 'Metadata-Flavor': 'Google' },
          timeoutMs: 5_000,
        }),
      ).rejects.toThrow(/could not connect over CDP/);
    }
    expect(privateHits).toEqual([]);
  });
});

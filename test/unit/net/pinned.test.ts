/**
 * Connections under the egress policy go to the address that was checked, nowhere else: a name
 * that resolves to a private address is refused before any byte leaves. Loopback only: 127.0.0.2
 * plays the public internet (WREN_TEST_PUBLIC_ADDRESSES), 127.0.0.1 the private network.
 */
import { once } from 'node:events';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectPinned,
  type EgressPolicy,
  NetworkPolicyError,
  policyLookup,
} from '../../../src/net/index.js';

const hits: string[] = [];
const servers: Server[] = [];
let port = 0;

beforeAll(async () => {
  // The same port on both addresses, so a wrong pin would be visible in `hits`.
  const a = createServer((req, res) => {
    hits.push(`public ${req.url}`);
    res.end('public');
  });
  a.listen(0, '127.0.0.2');
  await once(a, 'listening');
  port = (a.address() as AddressInfo).port;
  const b = createServer((req, res) => {
    hits.push(`private ${req.url}`);
    res.end('private');
  });
  b.listen(port, '127.0.0.1');
  await once(b, 'listening');
  servers.push(a, b);
});

afterAll(() => {
  for (const s of servers) s.close();
});

const policy: EgressPolicy = {
  allowPrivateNetworks: false,
  publicAddresses: ['127.0.0.2'],
  resolve: async (name) => (name === 'public.test' ? ['127.0.0.2'] : ['127.0.0.1']),
};

function fetchVia(host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host, port, path: `/${host}`, lookup: policyLookup(policy) }, (res) => {
      let body = '';
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('policyLookup', () => {
  it('connects a public name to the address it was checked at', async () => {
    expect(await fetchVia('public.test')).toBe('public');
    expect(hits).toContain('public /public.test');
  });

  it('refuses a name resolving to a private address before connecting', async () => {
    await expect(fetchVia('internal.test')).rejects.toBeInstanceOf(NetworkPolicyError);
    expect(hits.filter((h) => h.startsWith('private'))).toEqual([]);
  });
});

describe('connectPinned', () => {
  it('returns a socket to the checked address', async () => {
    const { socket, address } = await connectPinned(policy, 'public.test', port);
    expect(address).toBe('127.0.0.2');
    socket.destroy();
  });

  it('refuses loopback literals and names under a strict policy', async () => {
    await expect(connectPinned(policy, '127.0.0.1', port)).rejects.toMatchObject({
      kind: 'private',
    });
    await expect(connectPinned(policy, 'internal.test', port)).rejects.toThrow(
      /internal\.test points at a private, loopback or link-local address \(127\.0\.0\.1\)/,
    );
    expect(hits.filter((h) => h.startsWith('private'))).toEqual([]);
  });
});

/**
 * The egress proxy's answers (docs/configuration.md, "Network policy"): a refused destination is a
 * 403 reported to the run; a name that does not resolve is a 502 and not reported, because it is
 * an ordinary network failure (on a machine without DNS Chromium's own background requests meet
 * it in every run). Loopback only: 127.0.0.2 plays the public internet, 127.0.0.1 the private one.
 */
import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type BlockedRequest,
  type EgressPolicy,
  type EgressProxy,
  reserveOwnPort,
  startEgressProxy,
} from '../../../src/net/index.js';

const hits: string[] = [];
const blocked: BlockedRequest[] = [];
let site: Server;
let sitePort = 0;
let proxy: EgressProxy;

const policy: EgressPolicy = {
  allowPrivateNetworks: false,
  publicAddresses: ['127.0.0.2'],
  resolve: async (name) =>
    name === 'public.test' ? ['127.0.0.2'] : name === 'internal.test' ? ['127.0.0.1'] : [],
};

beforeAll(async () => {
  site = createServer((req, res) => {
    hits.push(`${req.socket.localAddress} ${req.url}`);
    res.end('ok');
  });
  site.listen(0, '0.0.0.0');
  await once(site, 'listening');
  sitePort = (site.address() as AddressInfo).port;
  proxy = await startEgressProxy({ policy, onBlocked: (b) => blocked.push(b) });
});

afterAll(async () => {
  await proxy.close();
  site.close();
});

/** A plain-HTTP request through the proxy (absolute URI), as Chromium sends it. */
function viaProxy(
  host: string,
  through: EgressProxy = proxy,
): Promise<{ status: number; reason: string | undefined }> {
  return new Promise((resolve, reject) => {
    request(
      {
        host: '127.0.0.1',
        port: through.port,
        path: `http://${host}:${sitePort}/page`,
        headers: { host: `${host}:${sitePort}` },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            reason: res.headers['x-wren-blocked'] as string | undefined,
          }),
        );
      },
    )
      .on('error', reject)
      .end();
  });
}

describe('egress proxy answers', () => {
  it('forwards a public name to the address it was checked at', async () => {
    expect((await viaProxy('public.test')).status).toBe(200);
    expect(hits).toEqual(['127.0.0.2 /page']);
  });

  it('refuses a private destination with 403 and reports it with the reason', async () => {
    const answer = await viaProxy('internal.test');
    expect(answer.status).toBe(403);
    expect(answer.reason).toMatch(/private, loopback or link-local address \(127\.0\.0\.1\)/);
    expect(blocked.map((b) => [b.host, b.method])).toEqual([['internal.test', 'GET']]);
    expect(hits).toEqual(['127.0.0.2 /page']);
  });

  it('answers a name that does not resolve with 502 and does not report it as blocked', async () => {
    const before = blocked.length;
    const answer = await viaProxy('nowhere.test');
    expect(answer.status).toBe(502);
    expect(answer.reason).toMatch(/nowhere\.test/);
    expect(blocked.length).toBe(before);
  });

  it("lets the allow-list and WREN_ALLOW_PRIVATE_NETWORKS reach private hosts, never Wren's own browsers", async () => {
    // Issue 17, Accept: "WREN_ALLOW_PRIVATE_NETWORKS=true and an allow-list still let the test
    // suite and local use work" (docs/configuration.md, "Network policy").
    const byName = await startEgressProxy({ policy: { ...policy, allow: ['*.test'] } });
    const byCidr = await startEgressProxy({ policy: { ...policy, allow: ['127.0.0.0/30'] } });
    const open = await startEgressProxy({ policy: { ...policy, allowPrivateNetworks: true } });
    try {
      expect((await viaProxy('internal.test', byName)).status).toBe(200);
      // The name is allowed, not its address: a literal 127.0.0.1 stays refused.
      expect((await viaProxy('127.0.0.1', byName)).status).toBe(403);
      expect((await viaProxy('127.0.0.1', byCidr)).status).toBe(200);
      expect((await viaProxy('internal.test', open)).status).toBe(200);
      expect(hits.filter((h) => h.startsWith('127.0.0.1 '))).toHaveLength(3);
      // Once the port is one of Wren's own browser endpoints, no setting reaches it.
      const release = reserveOwnPort(sitePort);
      try {
        for (const through of [byName, byCidr, open]) {
          const answer = await viaProxy('internal.test', through);
          expect(answer.status).toBe(403);
          expect(answer.reason).toContain('is a browser endpoint Wren runs itself');
        }
      } finally {
        release();
      }
      expect(hits.filter((h) => h.startsWith('127.0.0.1 '))).toHaveLength(3);
    } finally {
      await Promise.all([byName.close(), byCidr.close(), open.close()]);
    }
  });

  it("never uses one of Wren's own browser endpoints as the upstream proxy (proxy_location.url)", async () => {
    // Stands for a session's DevTools port (or the gateway) on this machine.
    const reached: string[] = [];
    const own = createServer((req, res) => {
      reached.push(String(req.url));
      res.end('devtools');
    });
    own.listen(0, '127.0.0.1');
    await once(own, 'listening');
    const ownPort = (own.address() as AddressInfo).port;
    const release = reserveOwnPort(ownPort);
    const open = await startEgressProxy({
      policy: { ...policy, allowPrivateNetworks: true },
      upstream: { server: `http://localhost:${ownPort}` },
    });
    try {
      const answer = await viaProxy('public.test', open);
      expect(answer.status).toBe(502);
      expect(reached).toEqual([]);
    } finally {
      release();
      await open.close();
      own.close();
    }
  });
});

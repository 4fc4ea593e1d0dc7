/**
 * Downloads and uploads by URL are fetched by Playwright from Wren's own process, not by the
 * browser: for a browser reached over CDP (no egress proxy in front of its context) the check and
 * the connection must not resolve the name separately. Here the policy's resolver says `vm` is
 * the "public" 127.0.0.2 while the system resolves it to 127.0.0.1 (/etc/hosts), which is what a
 * rebinding name does between check and connect. Loopback only.
 */

import { lookup } from 'node:dns/promises';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveExecutablePath } from '../../../src/browser/launch.js';
import { UrlPolicy } from '../../../src/browser/run/url-policy.js';
import type { EgressPolicy } from '../../../src/net/index.js';

const NAME = 'vm';
const hits: string[] = [];
let inside: Server;
let outside: Server;
let port = 0;
let browser: Browser;
let context: BrowserContext;
let nameIsLoopback = false;

beforeAll(async () => {
  nameIsLoopback = await lookup(NAME)
    .then((r) => r.address === '127.0.0.1')
    .catch(() => false);
  inside = createServer((req, res) => {
    hits.push(`${req.url}`);
    res.end('internal secret');
  });
  inside.listen(0, '127.0.0.1');
  await once(inside, 'listening');
  port = (inside.address() as AddressInfo).port;
  // The address the policy checked, on the same port: the fetch must end here.
  outside = createServer((req, res) => {
    res.setHeader('content-type', 'text/plain');
    res.end(`public ${req.headers.cookie ?? ''}`);
  });
  outside.listen(port, '127.0.0.2');
  await once(outside, 'listening');
  browser = await chromium.launch({
    executablePath: resolveExecutablePath(process.env['WREN_BROWSER_PATH'] || null),
  });
  // Like a browser over CDP: a context with no egress proxy in front of it.
  context = await browser.newContext();
});

afterAll(async () => {
  await browser?.close();
  inside?.close();
  outside?.close();
});

const policy: EgressPolicy = {
  allowPrivateNetworks: false,
  publicAddresses: ['127.0.0.2'],
  resolve: async () => ['127.0.0.2'],
};

describe('fetches by URL from a context without an egress proxy', () => {
  it('connect to the checked address, not to what the name resolves to later', async (test) => {
    if (!nameIsLoopback) test.skip();
    const urls = new UrlPolicy(context, { egress: policy, pinFetches: true });
    try {
      const got = await urls
        .fetch(`http://${NAME}:${port}/download`, { timeoutMs: 5_000, maxRedirects: 0 })
        .then(async (r) => `${r.response.status()} ${(await r.response.body()).toString()}`)
        .catch((e: Error) => `error ${e.message}`);
      expect(got).toBe('200 public ');
      expect(hits).toEqual([]);
    } finally {
      await urls.close();
    }
  });
});

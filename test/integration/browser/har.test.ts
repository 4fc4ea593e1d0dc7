/**
 * The run HAR in real Chromium against the fixture site: what a sign-in leaves in it (statuses,
 * redirect, cookies and form fields by name only), credential headers and secret-named query
 * values redacted, the run's mask over every string, optional response bodies, failed requests,
 * and a run attached to a context it does not own (only traffic after start, listeners gone
 * after close).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunBrowser } from '../../../src/browser/index.js';
import { useBrowserHarness } from '../../support/browser-harness.js';
import { LOGIN } from '../../support/fixture-server.js';
import { entriesFor, expectHar12, headerOf } from '../../support/har.js';

const h = useBrowserHarness();

describe('run HAR', () => {
  it('records a sign-in with redaction, masking and optional bodies', async () => {
    const run = await h.open({ extraHttpHeaders: { 'x-tenant': 'tenant-value-77' } });
    run.startHar({ mask: (t) => t.replaceAll('Acme', '{{secret:brand}}'), maxBodyBytes: 4096 });
    await run.goto(`${h.server.url}/login.html`);
    const page = run.page();
    await page.fill('#user', LOGIN.user);
    await page.fill('#pass', LOGIN.pass);
    await Promise.all([page.waitForURL(/\/account$/), page.click('button[type=submit]')]);
    await page.evaluate(async () => {
      await fetch('/api/missing?token=tok-123&q=kept&otp=654321', {
        headers: { authorization: 'Bearer bearer-xyz', 'x-api-key': 'key-abc' },
      });
      await fetch('http://127.0.0.1:9/unreachable').catch(() => {});
    });
    const har = await run.stopHar();
    expect(har).not.toBeNull();
    expectHar12(har!);
    const text = JSON.stringify(har);
    for (const secret of [
      LOGIN.pass,
      'correct+horse',
      'tenant-value-77',
      'tok-123',
      '654321',
      'bearer-xyz',
      'key-abc',
      'Acme',
    ])
      expect(text).not.toContain(secret);

    const [login] = entriesFor(har!, '/login.html');
    expect(login?.response.status).toBe(200);
    expect(headerOf(login!.request.headers, 'x-tenant')).toBe('[redacted]');
    // Textual bodies up to maxBodyBytes, masked like everything else.
    expect(login?.response.content.text).toContain('Sign in to {{secret:brand}}');
    expect(login?.response.content.size).toBeGreaterThan(100);

    const [post] = entriesFor(har!, '/api/login', 'POST');
    expect(post?.response.status).toBe(303);
    expect(post?.request.postData).toMatchObject({
      mimeType: 'application/x-www-form-urlencoded',
      text: '',
      params: [
        { name: 'user', value: '[redacted]' },
        { name: 'pass', value: '[redacted]' },
      ],
    });
    expect(post?.response.cookies[0]).toMatchObject({ name: LOGIN.cookie, value: '[redacted]' });

    const [api] = entriesFor(har!, '/api/missing');
    expect(api?.response.status).toBe(404);
    expect(api?.request.queryString).toEqual([
      { name: 'token', value: '[redacted]' },
      { name: 'q', value: 'kept' },
      { name: 'otp', value: '[redacted]' },
    ]);
    expect(headerOf(api!.request.headers, 'authorization')).toBe('[redacted]');
    expect(headerOf(api!.request.headers, 'x-api-key')).toBe('[redacted]');
    // The XHR belongs to the page that made it.
    const [account] = entriesFor(har!, '/account');
    expect(api?.pageref).toBe(account?.pageref);

    const failed = har!.log.entries.find((e) => e.request.url.includes('/unreachable'));
    expect(failed?.response.status).toBe(0);
    expect(failed?.response.comment).toMatch(/^request failed: /);
  });

  it('records only what an attached run does in a context it does not own, and lets go', async () => {
    const owner = await h.open();
    const browser = owner.context.browser()!;
    const context = await browser.newContext();
    const before = await context.newPage();
    await before.goto(`${h.server.url}/help.html`);
    const dir = await mkdtemp(path.join(tmpdir(), 'wren-har-attach-'));
    let released = 0;
    try {
      const run = await RunBrowser.attach(
        context,
        { runDir: dir, allowPrivateNetworks: true },
        { release: () => void released++ },
      );
      run.startHar();
      await run.goto(`${h.server.url}/login.html`);
      await run.close();
      expect(released).toBe(1);
      const har = await run.stopHar();
      expectHar12(har!);
      expect(entriesFor(har!, '/help.html')).toEqual([]);
      expect(entriesFor(har!, '/login.html')[0]?.response.status).toBe(200);
      // The context lives on; later traffic is not the run's.
      await before.goto(`${h.server.url}/account`);
      expect(entriesFor((await run.stopHar())!, '/account')).toEqual([]);
    } finally {
      await context.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

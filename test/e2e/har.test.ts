/**
 * Every run leaves a HAR of its network traffic: a run in a fresh context and a run in a
 * browser session (a context Wren did not create for the run) both sign in on the fixture site;
 * the HAR fetched through the artifacts API is HAR 1.2, holds the site's requests with their
 * real statuses, sizes and timings, and none of the password, the session cookie or the run's
 * extra header value. (A run in the user's own browser over CDP: test/e2e/cdp.test.ts.)
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AgentHarness,
  actorReply,
  pageOf,
  roleOf,
  signInActions,
  startAgentHarness,
  verifierReply,
} from '../support/agent-harness.js';
import { LOGIN } from '../support/fixture-server.js';
import { entriesFor, fetchRunHar, headerOf } from '../support/har.js';

let h: AgentHarness;
beforeAll(async () => {
  // No video: encoding it dominates a run's end on a busy machine, and recording has its own tests.
  h = await startAgentHarness('openai/gpt-5-mini', { WREN_RECORDING: 'false' });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.fake.reset();
  h.site.clear();
});

const HEADER_VALUE = 'run-header-value-8d1f';

function signInPolicy(): void {
  h.fake.setPolicy((req) => {
    const page = pageOf(req);
    if (roleOf(req) === 'verifier') {
      return verifierReply(page.includes('Welcome back'));
    }
    if (roleOf(req) !== 'actor') return undefined;
    if (page.includes('textbox "Username"')) {
      return actorReply(signInActions(page));
    }
    return actorReply([{ type: 'complete', answer: null }]);
  });
}

/** The session cookie value the site handed out, as the browser sent it back. */
function sessionCookie(): string {
  const sent = h.site.requests().find((r) => r.path === '/account')?.headers.cookie;
  const value = new RegExp(`${LOGIN.cookie}=(\\w+)`).exec(String(sent ?? ''))?.[1];
  expect(value).toBeTruthy();
  return value!;
}

function expectNoSecrets(text: string, cookie: string): void {
  for (const secret of [LOGIN.pass, encodeURIComponent(LOGIN.pass), 'correct+horse', cookie]) {
    expect(text).not.toContain(secret);
  }
}

describe('HAR of a run', () => {
  it('a fresh-context run: pages, statuses, sizes, timings; credentials and cookies redacted', async () => {
    signInPolicy();
    const runId = await h.submit({
      engine: 'skyvern-1.0',
      prompt: 'Sign in as ada.',
      url: `${h.site.url}/login.html`,
      extra_http_headers: { 'x-from-run': HEADER_VALUE },
    });
    const run = await h.waitForRun(runId);
    expect(run['status'], String(run['failure_reason'])).toBe('completed');
    const cookie = sessionCookie();

    const { har, text, artifact } = await fetchRunHar(h.wren, runId);
    expect(har.log.creator.name).toBe('Wren');
    expect(har.log.browser?.name).toBe('Chromium');

    // The start page: one entry, its own page, the real status, sizes and timings.
    const [login] = entriesFor(har, '/login.html');
    expect(login?.response.status).toBe(200);
    expect(login?.response.content.mimeType).toMatch(/^text\/html/);
    expect(login?.response.bodySize).toBeGreaterThan(100);
    expect(login?.response.headersSize).toBeGreaterThan(0);
    expect(login?.request.headersSize).toBeGreaterThan(0);
    expect(login?.time).toBeGreaterThan(0);
    expect(login?.serverIPAddress).toBe('127.0.0.1');
    expect(login?.response.content.text).toBeUndefined(); // bodies are off by default
    const loginPage = har.log.pages.find((p) => p.id === login?.pageref);
    expect(loginPage?.title).toBe('Sign in');
    expect(loginPage?.pageTimings.onLoad).toBeGreaterThanOrEqual(0);
    // The run's extra header went to the site, but its value is not in the HAR.
    expect(h.site.requests().find((r) => r.path === '/login.html')?.headers['x-from-run']).toBe(
      HEADER_VALUE,
    );
    expect(headerOf(login!.request.headers, 'x-from-run')).toBe('[redacted]');

    // The form post: field names only, the redirect and the cookie it set, value redacted.
    const [post] = entriesFor(har, '/api/login', 'POST');
    expect(post?.response.status).toBe(303);
    expect(post?.response.redirectURL).toBe('/account');
    expect(post?.request.postData?.params).toEqual([
      { name: 'user', value: '[redacted]' },
      { name: 'pass', value: '[redacted]' },
    ]);
    expect(post?.request.postData?.text).toBe('');
    expect(post?.request.bodySize).toBeGreaterThan(0);
    expect(post?.response.cookies).toEqual([
      expect.objectContaining({
        name: LOGIN.cookie,
        value: '[redacted]',
        path: '/',
        httpOnly: true,
      }),
    ]);
    expect(headerOf(post!.response.headers, 'set-cookie')).toBe('[redacted]');

    // The redirect target carries the cookie (redacted) and is a new page of the log.
    const [account] = entriesFor(har, '/account');
    expect(account?.response.status).toBe(200);
    expect(account?.request.cookies).toEqual([{ name: LOGIN.cookie, value: '[redacted]' }]);
    expect(headerOf(account!.request.headers, 'cookie')).toBe('[redacted]');
    expect(account?.pageref).not.toBe(login?.pageref);
    expect(har.log.pages.find((p) => p.id === account?.pageref)?.title).toBe('Your account');

    expectNoSecrets(text, cookie);
    expect(text).not.toContain(HEADER_VALUE);

    // The signed link serves the same bytes without the API key.
    const signed = await fetch(String(artifact['signed_url']));
    expect(signed.status).toBe(200);
    expect(await signed.text()).toBe(text);
  });

  it('a run in a browser session gets its own HAR of what it did in the shared browser', async () => {
    const created = await h.wren.call('POST', '/v1/browser_sessions', {
      url: `${h.site.url}/login.html`,
      timeout: 60,
    });
    expect(created.status, created.text).toBe(200);
    const sessionId = String((created.body as Record<string, unknown>)['browser_session_id']);
    try {
      signInPolicy();
      const runId = await h.submit({
        engine: 'skyvern-1.0',
        prompt: 'Sign in as ada.',
        browser_session_id: sessionId,
      });
      const run = await h.waitForRun(runId);
      expect(run['status'], String(run['failure_reason'])).toBe('completed');
      const cookie = sessionCookie();

      const { har, text } = await fetchRunHar(h.wren, runId);
      // The session opened the login page before the run: not this run's traffic.
      expect(entriesFor(har, '/login.html')).toEqual([]);
      const [post] = entriesFor(har, '/api/login', 'POST');
      expect(post?.response.status).toBe(303);
      expect(post?.request.postData?.params.map((p) => p.name)).toEqual(['user', 'pass']);
      const [account] = entriesFor(har, '/account');
      expect(account?.response.status).toBe(200);
      expect(account?.response.bodySize).toBeGreaterThan(0);
      expect(har.log.pages.length).toBeGreaterThanOrEqual(1);
      expectNoSecrets(text, cookie);
    } finally {
      await h.wren.call('POST', `/v1/browser_sessions/${sessionId}/close`);
    }
  });
});

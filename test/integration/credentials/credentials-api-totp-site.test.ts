import { generateSync } from 'otplib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FixtureServer, startFixtureServer } from '../../support/fixture-server.js';
import { createTotpSite, TOTP_SITE_USER } from '../../support/totp-site.js';

/**
 * The TOTP fixture site mounted in the shared fixture server, over real HTTP: login, session
 * cookie, ±1 window, recorded bodies.
 */

const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
let clock = Date.parse('2026-11-28T12:00:10.000Z');
const site = createTotpSite({ secret: SECRET, now: () => clock });
let server: FixtureServer;
let base = '';

beforeAll(async () => {
  server = await startFixtureServer({ totp: site });
  base = server.url;
});
afterAll(async () => server.close());
beforeEach(() => site.reset());

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  redirect: 'manual' as const,
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

const codeAt = (ms: number) =>
  generateSync({ secret: SECRET, epoch: Math.floor(ms / 1000), digits: 6, period: 30 });

async function logIn(challenge = 'single'): Promise<{ cookie: string; location: string }> {
  const res = await fetch(`${base}/totp/login`, form({ ...TOTP_SITE_USER, challenge }));
  expect(res.status).toBe(303);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  expect(cookie).toMatch(/^totp_session=[0-9a-f]{32}$/);
  return { cookie, location: res.headers.get('location') ?? '' };
}

async function verify(code: string, cookie?: string): Promise<{ status: number; text: string }> {
  const init = form({ code });
  const res = await fetch(`${base}/totp/verify`, {
    ...init,
    headers: { ...init.headers, ...(cookie ? { cookie } : {}) },
  });
  return { status: res.status, text: await res.text() };
}

describe('TOTP fixture site', () => {
  it('serves the pages under /totp/ and nothing else', async () => {
    const page = await fetch(`${base}/totp/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('action="/totp/login"');
    expect((await fetch(`${base}/totp/challenge-boxes.html`)).status).toBe(200);
    expect((await fetch(`${base}/totp/style.css`)).headers.get('content-type')).toBe('text/css');
    expect((await fetch(`${base}/totp/../package.json`)).status).toBe(404);
    // The rest of the fixture server is untouched.
    expect((await fetch(`${base}/index.html`)).status).toBe(200);
  });

  it('logs in, then accepts the current code and the neighbouring windows only', async () => {
    const single = await logIn();
    expect(single.location).toBe('/totp/challenge.html');
    expect((await logIn('boxes')).location).toBe('/totp/challenge-boxes.html');

    for (const [shift, ok] of [
      [-30_000, true],
      [0, true],
      [30_000, true],
      [-60_000, false],
      [60_000, false],
    ] as const) {
      const res = await verify(codeAt(clock + shift), single.cookie);
      expect(res.status).toBe(200);
      expect(res.text).toContain(ok ? 'Welcome back, Jane' : 'Invalid code');
    }
    expect(site.acceptedCodes()).toEqual([
      codeAt(clock - 30_000),
      codeAt(clock),
      codeAt(clock + 30_000),
    ]);
    clock += 90_000;
    expect((await verify(codeAt(clock - 90_000), single.cookie)).text).toContain('Invalid code');
  });

  it('refuses wrong credentials and a code without a session, and records every body', async () => {
    const bad = await fetch(`${base}/totp/login`, form({ username: 'jane', password: 'nope' }));
    expect(bad.status).toBe(303);
    expect(bad.headers.get('location')).toBe('/totp/index.html?error');
    expect(bad.headers.get('set-cookie')).toBeNull();
    const code = codeAt(clock);
    const noSession = await verify(code);
    expect(noSession.status).toBe(401);
    expect(noSession.text).toContain('Please sign in first');
    const forged = await verify(code, 'totp_session=00000000000000000000000000000000');
    expect(forged.status).toBe(401);

    expect(site.received).toEqual([
      {
        path: '/totp/login',
        form: { username: 'jane', password: 'nope' },
        loggedIn: false,
        accepted: false,
      },
      { path: '/totp/verify', form: { code }, loggedIn: false, accepted: false },
      { path: '/totp/verify', form: { code }, loggedIn: false, accepted: false },
    ]);
  });
});

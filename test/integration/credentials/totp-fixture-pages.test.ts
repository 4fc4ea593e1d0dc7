import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verifySync } from 'otplib';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { detectOtpFields, type InputFieldInfo, planOtpEntry } from '../../../src/browser/index.js';
import { codeForEntry, parseTotpSecret } from '../../../src/credentials/index.js';

/**
 * The TOTP fixture pages in real Chromium, driven by the pure detection/entry helpers the agent
 * will use. A small in-test server plays the fixture server's part (docs/credentials.md lists
 * what the shared fixture server must do) and records what the site received.
 */

const SITE = fileURLToPath(new URL('../../fixtures/sites/totp/', import.meta.url));
const SECRET = parseTotpSecret(
  'otpauth://totp/Fixture%20Bank:jane?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
);
const USER = { username: 'jane', password: 'correct horse battery staple' };

let server: Server;
let base: string;
let browser: Browser;
const received: Array<{ path: string; form: Record<string, string> }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'POST') {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c;
      });
      req.on('end', () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        received.push({ path: url.pathname, form });
        if (url.pathname === '/totp/login') {
          const ok = form['username'] === USER.username && form['password'] === USER.password;
          const next = form['challenge'] === 'boxes' ? 'challenge-boxes.html' : 'challenge.html';
          res.writeHead(303, { location: ok ? `/totp/${next}` : '/totp/index.html?error' }).end();
        } else if (url.pathname === '/totp/verify') {
          const ok = verifySync({
            secret: SECRET.base32,
            token: form['code'] ?? '',
            epochTolerance: 30,
          }).valid;
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end(
            ok ? '<h1 id="result">Welcome back, Jane</h1>' : '<h1 id="result">Invalid code</h1>',
          );
        } else res.writeHead(404).end();
      });
      return;
    }
    const file = join(SITE, url.pathname.replace(/^\/totp\//, '') || 'index.html');
    readFile(file)
      .then((data) => {
        const type = extname(file) === '.css' ? 'text/css' : 'text/html';
        res.writeHead(200, { 'content-type': type }).end(data);
      })
      .catch(() => res.writeHead(404).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/totp/`;
  browser = await chromium.launch({
    executablePath: process.env['WREN_BROWSER_PATH'] ?? '/usr/bin/chromium',
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received.length = 0;
});

/** What the browser layer will report about inputs, reduced to InputFieldInfo. */
async function inputsOf(page: Page): Promise<InputFieldInfo[]> {
  return page.$$eval('input', (els) =>
    els.map((el, i) => {
      const input = el as HTMLInputElement;
      input.dataset['ref'] = String(i);
      const label = input.labels?.[0]?.textContent ?? input.getAttribute('aria-label') ?? '';
      const rect = input.getBoundingClientRect();
      return {
        ref: String(i),
        type: input.getAttribute('type') ?? '',
        name: input.name,
        id: input.id,
        autocomplete: input.getAttribute('autocomplete') ?? '',
        placeholder: input.placeholder,
        label: label.trim(),
        inputMode: input.inputMode,
        maxLength: input.maxLength >= 0 ? input.maxLength : null,
        visible: input.type !== 'hidden' && rect.width > 0 && rect.height > 0,
        disabled: input.disabled,
      };
    }),
  );
}

async function logIn(page: Page, challenge: 'single' | 'boxes'): Promise<void> {
  await page.goto(`${base}index.html?challenge=${challenge}`);
  expect(detectOtpFields(await inputsOf(page))).toBeNull(); // the promo field is not a code field
  await page.fill('#username', USER.username);
  await page.fill('#password', USER.password);
  await Promise.all([page.waitForURL(/challenge/), page.click('button[type=submit]')]);
}

async function enterCode(page: Page): Promise<string> {
  const layout = detectOtpFields(await inputsOf(page));
  expect(layout).not.toBeNull();
  const { code } = codeForEntry(SECRET, Date.now(), { minRemainingSeconds: 3 });
  for (const step of planOtpEntry(code, layout!)) {
    await page.fill(`[data-ref="${step.field}"]`, step.text);
  }
  await Promise.all([page.waitForURL(/verify/), page.click('button[type=submit]')]);
  return code;
}

describe('TOTP fixture pages', () => {
  it('single field: detected, filled, and the site receives a valid code', async () => {
    const page = await browser.newPage();
    await logIn(page, 'single');
    expect(detectOtpFields(await inputsOf(page))).toEqual({
      kind: 'single',
      field: '0',
      maxLength: 6,
    });
    const code = await enterCode(page);
    expect(await page.textContent('#result')).toBe('Welcome back, Jane');
    expect(received.map((r) => r.path)).toEqual(['/totp/login', '/totp/verify']);
    expect(received[1]!.form).toEqual({ code });
    await page.close();
  });

  it('six boxes: one digit per box, joined by the page, accepted by the site', async () => {
    const page = await browser.newPage();
    await logIn(page, 'boxes');
    const layout = detectOtpFields(await inputsOf(page));
    expect(layout).toEqual({ kind: 'split', fields: ['0', '1', '2', '3', '4', '5'] });
    const code = await enterCode(page);
    expect(await page.textContent('#result')).toBe('Welcome back, Jane');
    expect(received[1]!.form).toEqual({ code });
    await page.close();
  });

  it('a wrong code is refused by the site', async () => {
    const page = await browser.newPage();
    await logIn(page, 'single');
    const good = codeForEntry(SECRET, Date.now()).code;
    const bad = String((Number(good) + 1) % 1_000_000).padStart(6, '0');
    await page.fill('#otp', bad);
    await Promise.all([page.waitForURL(/verify/), page.click('button[type=submit]')]);
    expect(await page.textContent('#result')).toBe('Invalid code');
    await page.close();
  });
});

/**
 * The web UI in real Chromium against a real Wren server (SQLite, HTTP on 127.0.0.1) running the
 * real engines with the fake model server (test/support/fake-model-server.ts) on the fixture
 * sites: sign in, create a task through the form and watch it complete, open a step screenshot,
 * browse and filter runs, watch a running task live and cancel it, sessions and settings.
 *
 * Every test takes a screenshot of its page. They go to a temp folder, or to docs/screenshots
 * with `npm run screenshots` (WREN_SCREENSHOT_DIR), where the README shows them.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { actorReply, pageOf, roleOf } from '../support/agent-harness.js';
import type { FakeRequest } from '../support/fake-model/parse.js';
import {
  FAKE_KEYS,
  type FakeModelServer,
  type FakeResponse,
  startFakeModelServer,
} from '../support/fake-model-server.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';
import {
  isTerminalRun,
  startTestWren,
  TEST_API_KEY,
  type TestWren,
  waitForRun,
} from '../support/wren.js';

const SCREENSHOTS = process.env['WREN_SCREENSHOT_DIR']
  ? resolve(process.env['WREN_SCREENSHOT_DIR'])
  : mkdtempSync(join(tmpdir(), 'wren-ui-shots-'));

/** Prompts the model below recognises; each run of these tests uses one of them. */
const PROMPTS = {
  lamp: 'Find the name and price of the lamp on this page',
  restock: 'Check that the reading lamp page opens',
  soldOut: 'Add the Vintage Lamp to the cart',
  hold: 'Watch the shop until the sale starts',
  webhook: 'Open the lamp page and tell my webhook',
  later: 'Open the lamp page once more',
} as const;

/**
 * The model, answering like one would from what each request shows: the lamp task scrolls once
 * and then completes (the extractor reads the name and price off the page it was given); the
 * sold-out task terminates with an error code; the "hold" task never gets an answer, so its
 * run stays in progress with its browser open until it is canceled; anything else completes.
 */
let lampActorCalls = 0;
function modelPolicy(req: FakeRequest): FakeResponse | undefined {
  const role = roleOf(req);
  const page = pageOf(req);
  if (role === 'verifier') {
    return { json: { evidence: 'the page shows it', goal_achieved: true, missing: '' } };
  }
  if (role === 'extractor') {
    return page.includes('Brass Desk Lamp') && page.includes('49.90')
      ? { json: { data: { product_name: 'Brass Desk Lamp', price: 49.9, in_stock: true } } }
      : { json: { data: null } };
  }
  if (role !== 'actor') return undefined;
  if (req.text.includes(PROMPTS.hold)) return { hang: true };
  if (req.text.includes(PROMPTS.soldOut)) {
    return actorReply(
      [
        {
          type: 'terminate',
          reason: 'The page says: "Sold out — this item is no longer available."',
        },
      ],
      {
        error_codes: [
          { code: 'SOLD_OUT', reasoning: 'The product page says sold out.', confidence: 0.95 },
        ],
      },
    );
  }
  // The lamp task has an error-code mapping, so its replies say which codes apply (none).
  if (req.text.includes(PROMPTS.lamp)) {
    return actorReply(
      lampActorCalls++ === 0
        ? [{ type: 'scroll', id: null, direction: 'down' }]
        : [{ type: 'complete', answer: null }],
      { error_codes: [] },
    );
  }
  return actorReply([{ type: 'complete', answer: null }]);
}

let t: TestWren;
let site: FixtureServer;
let fake: FakeModelServer;
let browser: Browser;
let context: BrowserContext | null = null;
const requestedUrls: string[] = [];
/** Content Security Policy violations any page reported (the UI's CSP must not break it). */
const cspViolations: string[] = [];

beforeAll(async () => {
  // The server serves ui/dist; build it when missing or stale (a no-op when up to date).
  execFileSync('bash', ['scripts/build-ui.sh'], { stdio: 'inherit' });
  mkdirSync(SCREENSHOTS, { recursive: true });
  [site, fake] = await Promise.all([startFixtureServer(), startFakeModelServer()]);
  fake.setPolicy(modelPolicy);
  // No video: encoding it dominates a run's end on a busy machine, and recording has its own tests.
  t = await startTestWren({
    env: { ...fake.env('openai/gpt-5-mini'), WREN_RECORDING: 'false' },
    worker: { pollIntervalMs: 50 },
  });
  browser = await chromium.launch({
    executablePath: process.env['WREN_BROWSER_PATH'] || '/usr/bin/chromium',
    headless: true,
  });
}, 120_000);

afterEach(async () => {
  await context?.close();
  context = null;
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
  await Promise.all([fake?.close(), site?.close()]);
  // The key is sent only in headers: no page, asset or API request ever had it in its URL.
  expect(requestedUrls.length).toBeGreaterThan(0);
  // Every page above worked under the UI's Content-Security-Policy (docs/security.md).
  expect(cspViolations).toEqual([]);
  for (const url of requestedUrls) expect(url).not.toContain(TEST_API_KEY);
});

/** A fresh browser context; signed in unless asked not to (the key goes in sessionStorage). */
async function openPage(options: { signedIn?: boolean } = {}): Promise<Page> {
  context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  if (options.signedIn !== false) {
    await context.addInitScript((key) => {
      if (!sessionStorage.getItem('wren.apiKey')) sessionStorage.setItem('wren.apiKey', key);
    }, TEST_API_KEY);
  }
  const page = await context.newPage();
  page.on('request', (request) => requestedUrls.push(request.url()));
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return page;
}

async function screenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean } = {},
): Promise<void> {
  if (options.fullPage !== false) await page.evaluate(() => window.scrollTo(0, 0));
  const png = await page.screenshot({
    path: join(SCREENSHOTS, `${name}.png`),
    fullPage: options.fullPage ?? true,
  });
  expect(png.byteLength).toBeGreaterThan(10_000);
}

/** Waits until the image has loaded and decoded (naturalWidth > 0); returns that width. */
async function imageLoaded(img: Locator): Promise<number> {
  const width = () =>
    img.evaluate((el) => {
      const image = el as HTMLImageElement;
      return image.complete ? image.naturalWidth : 0;
    });
  await expect.poll(width, { timeout: 15_000 }).toBeGreaterThan(0);
  return width();
}

async function submitTask(body: Record<string, unknown>): Promise<string> {
  const res = await t.call('POST', '/v1/run/tasks', body);
  expect(res.status).toBe(200);
  return (res.body as { run_id: string }).run_id;
}

describe('web UI', () => {
  it('signs in with an API key kept in the browser, rejecting a wrong one', async () => {
    const page = await openPage({ signedIn: false });
    await page.goto(`${t.url}/`);
    await page.getByLabel('API key').waitFor();
    await screenshot(page, 'sign-in');

    await page.getByLabel('API key').fill('wren_wrong_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('This key was not accepted').waitFor();

    await page.getByLabel('API key').fill(TEST_API_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    const stored = await page.evaluate(() => ({
      session: sessionStorage.getItem('wren.apiKey'),
      local: localStorage.getItem('wren.apiKey'),
    }));
    expect(stored).toEqual({ session: TEST_API_KEY, local: null });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    expect(await page.evaluate(() => sessionStorage.getItem('wren.apiKey'))).toBeNull();
  });

  it('creates a task through the form and shows it reaching completed', async () => {
    // A stored login for the credential picker (when this server has the credentials API).
    const credential = await t.call('POST', '/v1/credentials', {
      name: 'Kettle shop',
      username: 'jane',
      password: 'pw-never-shown-123',
    });
    const credentialId =
      credential.status === 201
        ? (credential.body as { credential_id: string }).credential_id
        : null;
    const page = await openPage();
    await page.goto(`${t.url}/tasks/new`);
    await page.getByRole('heading', { name: 'New task' }).waitFor();

    await page.locator('#f-prompt').fill(PROMPTS.lamp);
    await page.locator('#f-url').fill(`${site.url}/agent/product.html?id=1`);
    await page.locator('#f-title').fill('Lamp price check');
    await page.getByRole('radio', { name: /Skyvern 1\.0/ }).check();
    await page.getByRole('button', { name: 'Insert example' }).click();
    await page.getByText('Valid JSON Schema').waitFor();
    await page.getByRole('button', { name: 'Add code' }).click();
    await page.getByLabel('Error code 1', { exact: true }).fill('out_of_stock');
    await page
      .getByLabel('Error description 1', { exact: true })
      .fill('The product page says it is sold out');
    await page.getByLabel('Max steps').fill('5');
    if (credentialId) {
      await page.getByLabel('Stored credential').selectOption(credentialId);
      const withCredential = (await page.getByTestId('snippet-text').textContent()) ?? '';
      expect(withCredential).toContain(`"credential_id": "${credentialId}"`);
      expect(withCredential).not.toContain('pw-never-shown-123');
      expect(await page.content()).not.toContain('pw-never-shown-123');
      // The run itself goes without a login (this page has none).
      await page.getByLabel('Stored credential').selectOption('');
    }

    const snippet = page.getByTestId('snippet-text');
    const curl = await snippet.textContent();
    expect(curl).toContain('curl -s');
    expect(curl).toContain('x-api-key: $WREN_API_KEY');
    expect(curl).toContain('"max_steps": 5');
    expect(curl).toContain('"engine": "skyvern-1.0"');
    expect(curl).not.toContain(TEST_API_KEY);
    await page.getByRole('tab', { name: 'TypeScript' }).click();
    expect(await snippet.textContent()).toContain('new WrenClient(');
    await page.getByRole('tab', { name: /Python/ }).click();
    expect(await snippet.textContent()).toContain('max_steps=5,');
    await page.getByRole('tab', { name: 'curl' }).click();
    await screenshot(page, 'new-task');

    await page.getByRole('button', { name: 'Run task' }).click();
    await page.waitForURL(/\/runs\/tsk_\d+$/);
    const runId = new URL(page.url()).pathname.split('/').pop()!;
    await page
      .locator('[data-testid="run-page"][data-status="completed"]')
      .waitFor({ timeout: 60_000 });

    // The server stored what the form said, and the model was asked with it.
    const run = (await t.call('GET', `/v1/runs/${runId}`)).body as Record<string, unknown>;
    expect(run['run_request']).toMatchObject({
      prompt: PROMPTS.lamp,
      url: `${site.url}/agent/product.html?id=1`,
      title: 'Lamp price check',
      engine: 'skyvern-1.0',
      max_steps: 5,
      error_code_mapping: { out_of_stock: 'The product page says it is sold out' },
      data_extraction_schema: { type: 'object', required: ['product_name', 'price'] },
    });
    const actorPrompt = fake.requests.find(
      (r) => roleOf(r) === 'actor' && r.text.includes(PROMPTS.lamp),
    );
    expect(actorPrompt?.text).toContain('The product page says it is sold out');

    // The output is what the extractor read off the page, shaped by the schema from the form.
    const output = JSON.parse((await page.getByTestId('run-output').textContent()) ?? '');
    expect(output).toEqual({ product_name: 'Brass Desk Lamp', price: 49.9, in_stock: true });
    expect(await page.getByTestId('run-prompt').textContent()).toContain(PROMPTS.lamp);
    expect(await page.locator('.card', { hasText: 'Usage' }).textContent()).toMatch(/\$\d/);

    // The timeline: the scroll step, its model call and its screenshot.
    const steps = page.getByTestId('timeline-card').getByTestId('step');
    await steps.nth(1).waitFor();
    expect(await steps.count()).toBeGreaterThanOrEqual(2);
    const first = (await steps.first().textContent()) ?? '';
    expect(first).toContain('scroll');
    expect(first).toMatch(/actor · \S*gpt-5-mini · [\d,]+ in \/ [\d,]+ out/);
    await screenshot(page, 'run-completed');

    await steps.first().getByTestId('step-shot').first().click();
    const viewer = page.getByTestId('shot-viewer');
    const full = viewer.getByRole('img');
    await full.waitFor();
    await imageLoaded(full);
    const size = await full.evaluate((img) => ({
      width: (img as HTMLImageElement).naturalWidth,
      height: (img as HTMLImageElement).naturalHeight,
    }));
    expect(size.width).toBeGreaterThan(100);
    expect(size.height).toBeGreaterThan(100);
    await screenshot(page, 'step-screenshot', { fullPage: false });
    await viewer.getByRole('button', { name: 'Close' }).click();
    await viewer.waitFor({ state: 'hidden' });
  });

  it('shows form problems before sending and the server’s field errors after', async () => {
    const page = await openPage();
    await page.goto(`${t.url}/tasks/new`);
    await page.locator('#f-data_extraction_schema').fill('{"type": "object", "properties": ');
    await page.getByText(/Not valid JSON/).waitFor();
    await page.locator('#f-data_extraction_schema').fill('{"type": "objekt"}');
    await page.locator('[data-field="data_extraction_schema"] .field-msg').waitFor();

    let posted = 0;
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/v1/run/tasks')) posted++;
    });
    await page.getByRole('button', { name: 'Run task' }).click();
    await page.getByText('prompt is required').waitFor();
    expect(posted).toBe(0);

    await page.locator('#f-data_extraction_schema').fill('');
    await page.locator('#f-prompt').fill('Open the page');
    await page.locator('#f-url').fill('ftp://files.example.com');
    await page.getByRole('button', { name: 'Run task' }).click();
    await page
      .locator('[data-field="url"] .field-msg', { hasText: 'url must be an http or https URL' })
      .waitFor();
    expect(posted).toBe(1);
    expect(new URL(page.url()).pathname).toBe('/tasks/new');
  });

  it('lists runs with status badges, filters, search and live refresh', async () => {
    const restock = await submitTask({
      prompt: PROMPTS.restock,
      title: 'Reading lamp restock check',
      url: `${site.url}/agent/product.html?id=3`,
      engine: 'skyvern-1.0',
    });
    const soldOut = await submitTask({
      prompt: PROMPTS.soldOut,
      title: 'Vintage lamp order',
      url: `${site.url}/agent/product.html?id=5`,
      engine: 'skyvern-1.0',
      error_code_mapping: { SOLD_OUT: 'the product is sold out' },
    });
    expect((await waitForRun(t, restock, isTerminalRun, 60_000))['status']).toBe('completed');
    expect((await waitForRun(t, soldOut, isTerminalRun, 60_000))['status']).toBe('terminated');

    const page = await openPage();
    await page.goto(`${t.url}/runs`);
    const row = (id: string) => page.locator(`tr[data-run-id="${id}"]`);
    await row(restock).waitFor();
    expect(await row(restock).locator('[data-status]').getAttribute('data-status')).toBe(
      'completed',
    );
    expect(await row(soldOut).locator('[data-status]').getAttribute('data-status')).toBe(
      'terminated',
    );

    await page.getByRole('button', { name: 'terminated', exact: true }).click();
    await page.waitForURL(/status=terminated/);
    await row(restock).waitFor({ state: 'detached' });
    await row(soldOut).waitFor();
    await page.getByRole('button', { name: 'clear' }).click();

    await page.getByLabel('Search runs').fill('restock');
    await page.waitForURL(/q=restock/);
    await row(soldOut).waitFor({ state: 'detached' });
    await row(restock).waitFor();
    await page.getByLabel('Search runs').fill('');
    await row(soldOut).waitFor();

    // Live refresh: a run created elsewhere shows up without a reload.
    const later = await submitTask({
      prompt: PROMPTS.later,
      title: 'Arrives while watching',
      url: `${site.url}/agent/product.html?id=2`,
      engine: 'skyvern-1.0',
    });
    await row(later).waitFor({ timeout: 10_000 });
    await waitForRun(t, later, isTerminalRun, 60_000);
    await page.locator(`tr[data-run-id="${later}"] [data-status="completed"]`).waitFor();
    await screenshot(page, 'runs');

    // A terminated run's page explains why, with the error code the model reported.
    await row(soldOut).click();
    await page.waitForURL(new RegExp(`/runs/${soldOut}$`));
    await page
      .getByTestId('failure-reason')
      .getByText(/Sold out/)
      .waitFor();
    await page.getByTestId('errors-card').getByText('SOLD_OUT').waitFor();
    await screenshot(page, 'run-failed');
  });

  it('shows a running task live and cancels it from there', async () => {
    const runId = await submitTask({
      prompt: PROMPTS.hold,
      title: 'Wait for the sale',
      url: `${site.url}/agent/shop.html`,
      engine: 'skyvern-1.0',
    });
    const page = await openPage();
    await page.goto(`${t.url}/runs/${runId}`);
    await page.getByTestId('live-view').waitFor();
    // The run's browser shows up in the live view: a JPEG frame of the shop, drawn on the page.
    const frame = page.getByTestId('live-view').getByRole('img', { name: 'Live browser view' });
    await frame.waitFor({ timeout: 60_000 });
    expect(await imageLoaded(frame)).toBeGreaterThan(600);
    await page.locator('[data-testid="run-page"][data-status="running"]').waitFor();
    // Only now does the model hold the run: the page is live while the agent waits on it.
    expect(fake.requests.some((r) => r.text.includes(PROMPTS.hold))).toBe(true);
    await screenshot(page, 'run-live');

    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page
      .locator('[data-testid="run-page"][data-status="canceled"]')
      .waitFor({ timeout: 30_000 });
    const run = await waitForRun(t, runId, isTerminalRun);
    expect(run['status']).toBe('canceled');
    await page.getByRole('button', { name: 'Cancel run' }).waitFor({ state: 'detached' });
    expect(await page.getByTestId('live-card').count()).toBe(0);
  });

  it('retries a finished run’s webhook from its page, or says this server cannot yet', async () => {
    const received: { headers: IncomingHttpHeaders; body: string }[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      const runId = await submitTask({
        prompt: PROMPTS.webhook,
        title: 'Webhook demo',
        url: `${site.url}/agent/product.html?id=2`,
        engine: 'skyvern-1.0',
        webhook_url: hook,
      });
      await waitForRun(t, runId, isTerminalRun, 60_000);
      const page = await openPage();
      await page.goto(`${t.url}/runs/${runId}`);
      await page.getByTestId('webhook-url').getByText(hook).waitFor();
      await page.getByRole('button', { name: 'Retry webhook' }).click();
      const replay = page.getByTestId('webhook-replay');
      await replay.or(page.getByText('Webhook retry is not available on this server.')).waitFor();
      if (await replay.isVisible()) {
        expect(await replay.textContent()).toContain('HTTP 200');
        const sent = received.map((r) => JSON.parse(r.body) as { run_id?: string });
        expect(sent.some((body) => body.run_id === runId)).toBe(true);
        // The delivery log lists the replay next to the automatic delivery.
        await page.getByTestId('webhook-attempts').getByText('replay').first().waitFor();
      }
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });

  it('settings shows the model status and creates an API key shown once', async () => {
    const page = await openPage();
    await page.goto(`${t.url}/settings`);
    // The fake model server stands in for OpenAI: its key is set, and never shown.
    const model = page.getByTestId('model-card');
    await model.getByText('ready').waitFor();
    expect(await model.getByTestId('model-name').textContent()).toContain('gpt-5-mini');
    expect(await page.content()).not.toContain(FAKE_KEYS.openai);

    await page.getByLabel('New key label').fill('laptop');
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('new-key').locator('code');
    await shown.waitFor();
    const key = (await shown.textContent()) ?? '';
    expect(key).toMatch(/^wren_/);
    const keys = page.getByTestId('keys-table');
    await keys.getByText('laptop').waitFor();
    expect(await keys.textContent()).not.toContain(key);
    // The new key works against the API.
    const check = await fetch(`${t.url}/v1/runs`, { headers: { 'x-api-key': key } });
    expect(check.status).toBe(200);
    await page.getByRole('button', { name: 'Done' }).click();
    await screenshot(page, 'settings');

    await page.reload();
    await keys.getByText('laptop').waitFor();
    expect(await page.content()).not.toContain(key);

    // The test key is an admin key (WREN_API_KEY), so the page offers revoke; it takes effect at
    // once (docs/security.md, "Organizations and keys").
    expect(await page.getByTestId('key-role').textContent()).toBe('admin');
    const row = keys.locator('tr', { hasText: 'laptop' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Confirm revoke' }).click();
    await row.getByText(/^revoked /).waitFor();
    const revoked = await fetch(`${t.url}/v1/runs`, { headers: { 'x-api-key': key } });
    expect(revoked.status).toBe(403);
  });

  it('the browser sessions page creates a session, shows it live and closes it', async () => {
    const page = await openPage();
    await page.goto(`${t.url}/sessions`);
    await page.getByRole('heading', { name: 'Browser sessions' }).waitFor();
    await page.getByLabel('Open URL (optional)').fill(`${site.url}/agent/shop.html`);
    await page.getByRole('button', { name: 'Start session' }).click();
    const row = page.getByTestId('sessions-table').locator('tr[data-session-id]').first();
    await row.waitFor({ timeout: 30_000 });
    const id = (await row.getAttribute('data-session-id')) ?? '';
    // The list polls every 3 s and may show the session while its browser still starts.
    await expect
      .poll(
        async () =>
          ((await t.call('GET', `/v1/browser_sessions/${id}`)).body as { status?: string }).status,
        { timeout: 30_000 },
      )
      .toBe('running');
    const created = (await t.call('GET', `/v1/browser_sessions/${id}`)).body as { url?: string };
    expect(created).toMatchObject({ url: `${site.url}/agent/shop.html` });

    // The new session's browser is shown live.
    const frame = page.getByTestId('live-view').getByRole('img', { name: 'Live browser view' });
    await frame.waitFor({ timeout: 30_000 });
    await imageLoaded(frame);
    await screenshot(page, 'sessions');

    await row.getByRole('button', { name: 'Close' }).click();
    await page.locator(`tr[data-session-id="${id}"]`).waitFor({ state: 'detached' });
    const closed = await t.call('GET', `/v1/browser_sessions/${id}`);
    expect((closed.body as { status?: string }).status).toBe('completed');
    await page.getByTestId('live-view').waitFor({ state: 'detached' });
  });
});

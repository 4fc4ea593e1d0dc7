/**
 * The web UI in real Chromium against a real Wren server (SQLite, HTTP on 127.0.0.1) whose
 * engines are scripted (test/support/engines.ts): sign in, create a task through the form and
 * watch it complete, browse and filter runs, cancel a running task from its page, and each page
 * renders (degrading to a "not available on this server" note where an endpoint is missing).
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
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EngineRegistry } from '../../src/engines/registry.js';
import type { TaskSpec } from '../../src/engines/types.js';
import { blockingEngine, engineFrom } from '../support/engines.js';
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

const seen: TaskSpec[] = [];
const blocking = blockingEngine('skyvern-2.0');
const engines = new EngineRegistry()
  .register(
    engineFrom('skyvern-1.0', async (ctx) => {
      seen.push(ctx.task);
      const steps = [
        { summary: 'Opened the product page from the search results', action: 'click [12]' },
        { summary: 'Read the price and the stock label', action: 'extract' },
      ];
      steps.forEach(({ summary, action }, stepIndex) => {
        const usage = { inputTokens: 1200, outputTokens: 80, costUsd: 0.0021 };
        ctx.emit({ type: 'step_started', stepIndex });
        ctx.emit({
          type: 'model_call',
          stepIndex,
          role: 'actor',
          model: 'openai/gpt-5-mini',
          durationMs: 850,
          usage,
          prompt: { system: 'You operate a browser.', text: 'Page: …' },
          response: `{"action": "${action}"}`,
        });
        ctx.emit({ type: 'action', stepIndex, actionIndex: 0, action, ok: true, durationMs: 120 });
        ctx.emit({ type: 'step_finished', stepIndex, summary, usage });
      });
      return {
        outcome: {
          status: 'completed',
          output: { product_name: 'Blue kettle', price: 42, in_stock: true },
        },
        errors: [],
        stepCount: 2,
        usage: { inputTokens: 2400, outputTokens: 160, costUsd: 0.0042 },
      };
    }),
    { requiresModel: false },
  )
  .register(blocking.engine, { requiresModel: false })
  .register(
    engineFrom('openai-cua', async () => ({
      outcome: { status: 'failed', failureReason: 'The login page rejected the password' },
      errors: [
        {
          error_code: 'login_failed',
          reasoning: 'The page says "Incorrect password" after submitting the form',
          error_type: 'USER_DEFINED_ERROR',
        },
      ],
      stepCount: 3,
      usage: { inputTokens: 5100, outputTokens: 240, costUsd: 0.031 },
    })),
    { requiresModel: false },
  );

let t: TestWren;
let browser: Browser;
let context: BrowserContext | null = null;
const requestedUrls: string[] = [];

beforeAll(async () => {
  // The server serves ui/dist; build it when missing or stale (a no-op when up to date).
  execFileSync('bash', ['scripts/build-ui.sh'], { stdio: 'inherit' });
  mkdirSync(SCREENSHOTS, { recursive: true });
  t = await startTestWren({ engines, worker: { pollIntervalMs: 50 } });
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
  // The key is sent only in headers: no page, asset or API request ever had it in its URL.
  expect(requestedUrls.length).toBeGreaterThan(0);
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
  return page;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  const png = await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  expect(png.byteLength).toBeGreaterThan(10_000);
}

async function submitTask(body: Record<string, unknown>): Promise<string> {
  const res = await t.call('POST', '/v1/run/tasks', body);
  expect(res.status).toBe(200);
  return (res.body as { run_id: string }).run_id;
}

/** Whether the server has an endpoint (other helpers add them); 404 "Not Found" means no. */
async function hasEndpoint(path: string): Promise<boolean> {
  const res = await t.call('GET', path);
  return !(res.status === 404 && JSON.stringify(res.body) === '{"detail":"Not Found"}');
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
      credential.status === 200
        ? (credential.body as { credential_id: string }).credential_id
        : null;
    const page = await openPage();
    await page.goto(`${t.url}/tasks/new`);
    await page.getByRole('heading', { name: 'New task' }).waitFor();

    await page
      .locator('#f-prompt')
      .fill('Find the price of the blue kettle and whether it is in stock');
    await page.locator('#f-url').fill('https://shop.example.com/kettle');
    await page.locator('#f-title').fill('Kettle price check');
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
      .waitFor({ timeout: 20_000 });

    // What the engine was given is what the form said.
    const task = seen.find((s) => s.runId === runId);
    expect(task).toMatchObject({
      prompt: 'Find the price of the blue kettle and whether it is in stock',
      url: 'https://shop.example.com/kettle',
      title: 'Kettle price check',
      engine: 'skyvern-1.0',
      maxSteps: 5,
      errorCodeMapping: { out_of_stock: 'The product page says it is sold out' },
    });
    expect(task?.dataExtractionSchema).toMatchObject({
      type: 'object',
      required: ['product_name', 'price'],
    });

    const output = JSON.parse((await page.getByTestId('run-output').textContent()) ?? '');
    expect(output).toEqual({ product_name: 'Blue kettle', price: 42, in_stock: true });
    expect(await page.getByTestId('run-prompt').textContent()).toContain('blue kettle');
    expect(await page.locator('.card', { hasText: 'Usage' }).textContent()).toContain('$0.0042');

    const timeline = page.getByTestId('timeline-card');
    if (await hasEndpoint(`/v1/runs/${runId}/timeline`)) {
      const steps = timeline.getByTestId('step');
      await steps.nth(1).waitFor();
      expect(await steps.count()).toBe(2);
      const first = (await steps.first().textContent()) ?? '';
      expect(first).toContain('Opened the product page from the search results');
      expect(first).toContain('click [12]');
      expect(first).toContain('actor · openai/gpt-5-mini · 1,200 in / 80 out');
    } else {
      await timeline.getByText('The step timeline is not available on this server.').waitFor();
    }
    await screenshot(page, 'run-completed');
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
    const kettle = await submitTask({
      prompt: 'Kettle',
      title: 'Kettle restock check',
      engine: 'skyvern-1.0',
    });
    const login = await submitTask({
      prompt: 'Log in',
      title: 'Account login check',
      engine: 'openai-cua',
    });
    await waitForRun(t, kettle, isTerminalRun);
    await waitForRun(t, login, isTerminalRun);

    const page = await openPage();
    await page.goto(`${t.url}/runs`);
    const row = (id: string) => page.locator(`tr[data-run-id="${id}"]`);
    await row(kettle).waitFor();
    expect(await row(kettle).locator('[data-status]').getAttribute('data-status')).toBe(
      'completed',
    );
    expect(await row(login).locator('[data-status]').getAttribute('data-status')).toBe('failed');

    await page.getByRole('button', { name: 'failed', exact: true }).click();
    await page.waitForURL(/status=failed/);
    await row(kettle).waitFor({ state: 'detached' });
    await row(login).waitFor();
    await page.getByRole('button', { name: 'clear' }).click();

    await page.getByLabel('Search runs').fill('restock');
    await page.waitForURL(/q=restock/);
    await row(login).waitFor({ state: 'detached' });
    await row(kettle).waitFor();
    await page.getByLabel('Search runs').fill('');
    await row(login).waitFor();

    // Live refresh: a run created elsewhere shows up without a reload.
    const later = await submitTask({
      prompt: 'Later',
      title: 'Arrives while watching',
      engine: 'skyvern-1.0',
    });
    await row(later).waitFor({ timeout: 10_000 });
    await waitForRun(t, later, isTerminalRun);
    await page.locator(`tr[data-run-id="${later}"] [data-status="completed"]`).waitFor();
    await screenshot(page, 'runs');

    // A failed run's page explains why.
    await row(login).click();
    await page.waitForURL(new RegExp(`/runs/${login}$`));
    await page
      .getByTestId('failure-reason')
      .getByText('The login page rejected the password')
      .waitFor();
    await page.getByTestId('errors-card').getByText('login_failed').waitFor();
    await screenshot(page, 'run-failed');
  });

  it('cancels a running task from its page, next to the live view', async () => {
    const runId = await submitTask({
      prompt: 'Watch the dashboard until the export finishes',
      title: 'Long export',
      url: 'https://example.com/dashboard',
      engine: 'skyvern-2.0',
    });
    await blocking.startedRun(runId);
    const page = await openPage();
    await page.goto(`${t.url}/runs/${runId}`);
    await page.locator('[data-testid="run-page"][data-status="running"]').waitFor();
    const live = page.getByTestId('live-view');
    await live.waitFor();
    // No screencast endpoint yet on this server: the slot says so instead of failing.
    await page.locator('[data-testid="live-view"][data-state="unavailable"]').waitFor();
    await screenshot(page, 'run-live');

    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page
      .locator('[data-testid="run-page"][data-status="canceled"]')
      .waitFor({ timeout: 15_000 });
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
        prompt: 'Check the kettle and tell my webhook',
        title: 'Webhook demo',
        engine: 'skyvern-1.0',
        webhook_url: hook,
      });
      await waitForRun(t, runId, isTerminalRun);
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
    const model = page.getByTestId('model-card');
    await model.getByText('not configured').waitFor();
    await model.getByText(/No model is configured/).waitFor();

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
  });

  it('the browser sessions page creates and closes a session, or says the API is missing', async () => {
    const page = await openPage();
    await page.goto(`${t.url}/sessions`);
    await page.getByRole('heading', { name: 'Browser sessions' }).waitFor();
    if (await hasEndpoint('/v1/browser_sessions')) {
      await page.getByRole('button', { name: 'Start session' }).click();
      const row = page.getByTestId('sessions-table').locator('tr[data-session-id]').first();
      await row.waitFor();
      const id = await row.getAttribute('data-session-id');
      await screenshot(page, 'sessions');
      await row.getByRole('button', { name: 'Close' }).click();
      await page.locator(`tr[data-session-id="${id}"]`).waitFor({ state: 'detached' });
      const closed = await t.call('GET', `/v1/browser_sessions/${id}`);
      expect((closed.body as { status?: string }).status).toBe('completed');
    } else {
      await page.getByText('The browser sessions API is not available on this server.').waitFor();
      await screenshot(page, 'sessions');
    }
  });
});

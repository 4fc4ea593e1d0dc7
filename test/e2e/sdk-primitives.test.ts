/**
 * Wren's SDK primitives (docs/sdk.md): a script mixing plain Playwright (goto, fill) with
 * page.act / page.extract on a browser session, in server and embedded mode. The selector cache
 * makes the second run of the script select without the model; a page change that breaks a cached
 * selector falls back to the model once and refreshes the cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type AiPage, Wren } from '../../src/sdk/index.js';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';
import { primitiveOf, primitivesModel } from '../support/primitives-model.js';

let h: AgentHarness;
let dir: string;
beforeAll(async () => {
  h = await startAgentHarness('openai/gpt-5-mini', { WREN_RECORDING: 'false' });
  dir = mkdtempSync(join(tmpdir(), 'wren-sdk-cache-'));
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  h.fake.reset();
  h.fake.setPolicy(primitivesModel);
});

const Heading = z.object({ heading: z.string(), people: z.number().int() });

/** The user's script: Playwright and AI steps mixed. */
async function script(page: AiPage, siteUrl: string) {
  await page.goto(`${siteUrl}/selectors.html`);
  await page.fill('#display', 'Ada');
  const act = await page.act('click the Save button');
  const data = await page.extract({ prompt: 'the heading and how many people', schema: Heading });
  return { act, data, log: await page.locator('#log').textContent() };
}

const calls = (kind: string) => h.fake.requests.filter((r) => primitiveOf(r) === kind).length;

describe('SDK page primitives (server mode)', () => {
  it('a second run of the same script makes no model call for its selections', async () => {
    const cacheFile = join(dir, 'selectors.json');
    const first = new Wren({
      baseUrl: h.wren.url,
      apiKey: h.wren.apiKey,
      selectorCacheFile: cacheFile,
    });
    const session = await first.createBrowserSession();
    const id = session.browser_session_id;
    const run1 = await script(await first.sessions.page(id), h.site.url);
    expect(run1.log).toBe('saved Ada');
    expect(run1.act).toMatchObject({
      action: 'click',
      selector: 'role=button[name="Save"]',
      cached: false,
    });
    // Typed by the zod schema: data.heading is a string.
    const heading: string = run1.data.heading;
    expect(heading).toBe('Account settings');
    expect(calls('act')).toBe(1);
    expect(first.selectorCache.entries()).toMatchObject([
      {
        primitive: 'act',
        instruction: 'click the Save button',
        action: 'click',
        selector: 'role=button[name="Save"]',
      },
    ]);
    await first.close();

    // A new process of the script: the cache file is all it shares with the first.
    h.fake.reset();
    h.fake.setPolicy(primitivesModel);
    const second = new Wren({
      baseUrl: h.wren.url,
      apiKey: h.wren.apiKey,
      selectorCacheFile: cacheFile,
    });
    const run2 = await script(await second.sessions.page(id), h.site.url);
    expect(run2.log).toBe('saved Ada');
    expect(run2.act).toMatchObject({ cached: true, runId: null });
    expect(calls('act')).toBe(0);
    expect(calls('extract')).toBe(1); // data is read fresh every time
    await second.closeBrowserSession(id);
    await second.close();
  });

  it('a cached selector the page broke falls back to the model once, then the refreshed entry is used', async () => {
    const wren = new Wren({ baseUrl: h.wren.url, apiKey: h.wren.apiKey });
    const { browser_session_id: id } = await wren.createBrowserSession();
    const page = await wren.sessions.page(id);
    await page.goto(`${h.site.url}/selectors.html`);
    await page.act('click the Save button');
    expect(calls('act')).toBe(1);

    // The site renames its button: role=button[name="Save"] no longer matches anything.
    await page.evaluate(() => {
      const b = document.querySelector('#profile button') as HTMLButtonElement;
      b.textContent = 'Store';
    });
    await page.fill('#display', 'Bea');
    const healed = await page.act('click the Save button');
    expect(healed).toMatchObject({ cached: false, selector: 'role=button[name="Store"]' });
    expect(await page.locator('#log').textContent()).toBe('saved Bea');
    expect(calls('act')).toBe(2);
    expect(wren.selectorCache.entries()[0]?.selector).toBe('role=button[name="Store"]');

    await page.fill('#display', 'Cy');
    expect(await page.act('click the Save button')).toMatchObject({ cached: true });
    expect(await page.locator('#log').textContent()).toBe('saved Cy');
    expect(calls('act')).toBe(2);

    wren.selectorCache.clear();
    expect(wren.selectorCache.entries()).toEqual([]);
    await wren.closeBrowserSession(id);
    await wren.close();
  });

  it('observe lists candidates without acting; validate and locate answer from the page', async () => {
    const wren = new Wren({ baseUrl: h.wren.url, apiKey: h.wren.apiKey });
    const { browser_session_id: id } = await wren.createBrowserSession();
    const page = await wren.sessions.page(id);
    await page.goto(`${h.site.url}/selectors.html`);
    const candidates = await page.observe('the Delete buttons');
    expect(candidates.map((c) => c.action)).toEqual(['click', 'click']);
    expect(candidates[1]?.selector).toBe('[data-testid="delete-bob"]');
    expect(await page.locator('#log').textContent()).toBe('');
    expect(await page.validate('the page heading is Account settings')).toBe(true);
    expect(await page.validate('the cart is empty')).toBe(false);
    const bob = await page.locate("Bob's Delete button");
    await page.locator(bob).click();
    expect(await page.locator('#log').textContent()).toBe('deleted bob');
    expect(await page.locate("Bob's Delete button")).toBe(bob);
    expect(calls('locate')).toBe(1);
    await wren.closeBrowserSession(id);
    await wren.close();
  });
});

describe('SDK page primitives (embedded mode)', () => {
  const saved: Record<string, string | undefined> = {};
  let data: string;
  beforeAll(() => {
    data = mkdtempSync(join(tmpdir(), 'wren-embedded-'));
    const env = {
      ...h.fake.env('openai/gpt-5-mini'),
      WREN_ALLOW_PRIVATE_NETWORKS: 'true',
      WREN_RECORDING: 'false',
    };
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(data, { recursive: true, force: true });
  });

  it('runs the same script in-process, with the cache', async () => {
    const wren = new Wren({ dataDir: data });
    try {
      const { browser_session_id: id } = await wren.createBrowserSession();
      const page = await wren.sessions.page(id);
      const run1 = await script(page, h.site.url);
      expect(run1).toMatchObject({ log: 'saved Ada', data: { heading: 'Account settings' } });
      const run2 = await script(page, h.site.url);
      expect(run2.act.cached).toBe(true);
      expect(calls('act')).toBe(1);
      await wren.closeBrowserSession(id);
    } finally {
      await wren.close();
    }
  });
});

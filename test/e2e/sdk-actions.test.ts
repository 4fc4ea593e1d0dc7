/**
 * POST /v1/sdk/run_action (docs/api.md "SDK actions"): every Skyvern SDK action on a fixture page
 * in a browser session, through the fake model. A selector that works costs no model call; a
 * broken one falls back to the model with the intention; each call is a run of type sdk_action.
 */
import { readFileSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AgentHarness, startAgentHarness } from '../support/agent-harness.js';
import { type OpenApiDoc, OpenApiValidator } from '../support/openapi.js';
import { primitivesModel } from '../support/primitives-model.js';

/** Skyvern's reference shapes: what Skyvern's SDK sends and accepts (docs/api.md). */
const skyvern = new OpenApiValidator(
  JSON.parse(
    readFileSync(new URL('../fixtures/skyvern/openapi-shapes.json', import.meta.url), 'utf8'),
  ) as OpenApiDoc,
  { pydanticDateTime: true },
);

let h: AgentHarness;
let sessionId: string;
let outside: Browser;
let page: Page;

async function runAction(action: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const body = {
    url: `${h.site.url}/selectors.html`,
    browser_session_id: sessionId,
    action,
    ...extra,
  };
  const r = await h.wren.call('POST', '/v1/sdk/run_action', body);
  if (r.status === 200) {
    skyvern.assertRequest('/v1/sdk/run_action', 'post', body);
    skyvern.assertResponse('/v1/sdk/run_action', 'post', 200, r.body);
  }
  return r;
}

beforeAll(async () => {
  h = await startAgentHarness('openai/gpt-5-mini', { WREN_RECORDING: 'false' });
  const r = await h.wren.call('POST', '/v1/browser_sessions', {});
  expect(r.status, r.text).toBe(200);
  const session = r.body as Record<string, unknown>;
  sessionId = String(session['browser_session_id']);
  outside = await chromium.connectOverCDP(String(session['browser_address']));
});
afterAll(async () => {
  await outside?.close();
  await h?.close();
});
beforeEach(async () => {
  h.fake.reset();
  h.fake.setPolicy(primitivesModel);
  // Every test starts on a fresh copy of the fixture page.
  const r = await runAction({ type: 'ai_click', selector: 'h1' });
  expect(r.status, r.text).toBe(200);
  page = outside
    .contexts()[0]!
    .pages()
    .find((p) => p.url().includes('selectors.html'))!;
  await page.reload();
  h.fake.reset();
  h.fake.setPolicy(primitivesModel);
});

describe('POST /v1/sdk/run_action', () => {
  it('a selector that works needs no model call (ai_input_text, ai_click)', async () => {
    const typed = await runAction({
      type: 'ai_input_text',
      selector: '#display',
      value: 'Ada',
      intention: 'name',
    });
    expect(typed.status, typed.text).toBe(200);
    expect((typed.body as { result: unknown }).result).toBe('#display');
    const clicked = await runAction({
      type: 'ai_click',
      selector: 'role=button[name="Save"]',
      intention: 'save',
    });
    expect(clicked.status, clicked.text).toBe(200);
    expect(clicked.body).toMatchObject({
      result: 'role=button[name="Save"]',
      details: { usedModel: false },
    });
    expect(await page.locator('#log').textContent()).toBe('saved Ada');
    expect(h.fake.requests).toHaveLength(0);
  });

  it('a selector that fails falls back to the model with the intention, and says which selector it used', async () => {
    await page.fill('#display', 'Lin');
    const r = await runAction({
      type: 'ai_click',
      selector: '#gone',
      intention: 'the Save button',
      timeout: 500,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      result: 'role=button[name="Save"]',
      details: { usedModel: true, selectorError: expect.stringContaining('#gone') },
    });
    expect(await page.locator('#log').textContent()).toBe('saved Lin');
    expect(h.fake.requests).toHaveLength(1);

    // The call is a run: steps, usage and the model's prompt as artifacts.
    const runId = (r.body as { workflow_run_id: string }).workflow_run_id;
    const run = (await h.wren.call('GET', `/v1/runs/${runId}`)).body as Record<string, unknown>;
    expect(run).toMatchObject({ run_type: 'sdk_action', status: 'completed', step_count: 1 });
    expect((run['usage'] as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    const timeline = (await h.wren.call('GET', `/v1/runs/${runId}/timeline`)).body as unknown[];
    const step = timeline.find((e) => (e as { type: string }).type === 'block') as {
      block: { status: string; actions: { action: string }[]; model_calls: unknown[] };
    };
    expect(step.block.status).toBe('completed');
    expect(step.block.actions.map((a) => a.action)).toEqual([
      'try selector #gone',
      'locate "the element to click: the Save button" (model)',
      'click role=button[name="Save"]',
    ]);
    expect(step.block.model_calls).toHaveLength(1);
    const artifacts = (await h.wren.call('GET', `/v1/runs/${runId}/artifacts`)).body as {
      artifact_type: string;
    }[];
    expect(artifacts.map((a) => a.artifact_type)).toEqual(
      expect.arrayContaining(['llm_prompt', 'llm_response', 'screenshot_final']),
    );
  });

  it('ai_select_option by intention, ai_upload_file by selector', async () => {
    const sel = await runAction({
      type: 'ai_select_option',
      intention: 'the language',
      value: 'French',
    });
    expect(sel.status, sel.text).toBe(200);
    expect((sel.body as { result: string }).result).toBe('select[name="lang"]');
    expect(await page.locator('#lang').inputValue()).toBe('fr');

    const up = await h.wren.call('POST', '/v1/sdk/run_action', {
      url: `${h.site.url}/files.html`,
      browser_session_id: sessionId,
      action: {
        type: 'ai_upload_file',
        selector: '#doc',
        file_url: `${h.site.url}/assets/pixel.svg`,
      },
    });
    expect(up.status, up.text).toBe(200);
    const filesPage = outside
      .contexts()[0]!
      .pages()
      .find((p) => p.url().includes('files.html'))!;
    expect(
      await filesPage.locator('#doc').evaluate((e) => (e as HTMLInputElement).files?.[0]?.name),
    ).toBe('pixel.svg');
  });

  it('ai_input_text, ai_select_option and ai_upload_file: a working selector needs no model call, a broken one falls back to the intention', async () => {
    // Selector hits: no model call.
    const sel = await runAction({
      type: 'ai_select_option',
      selector: '#lang',
      value: 'French',
      intention: 'the language',
    });
    expect(sel.status, sel.text).toBe(200);
    expect(sel.body).toMatchObject({ result: '#lang', details: { usedModel: false } });
    expect(await page.locator('#lang').inputValue()).toBe('fr');
    expect(h.fake.requests).toHaveLength(0);

    // Selector misses: one model call each, by the intention, and the action is done.
    const typed = await runAction({
      type: 'ai_input_text',
      selector: '#gone',
      value: 'Dora',
      intention: 'the display name',
      timeout: 500,
    });
    expect(typed.status, typed.text).toBe(200);
    expect(typed.body).toMatchObject({
      result: 'role=textbox[name="Display name"]',
      details: { usedModel: true, selectorError: expect.stringContaining('#gone') },
    });
    expect(await page.locator('#display').inputValue()).toBe('Dora');
    expect(h.fake.requests).toHaveLength(1);

    const chosen = await runAction({
      type: 'ai_select_option',
      selector: 'select[name="nope"]',
      value: 'English',
      intention: 'the language',
      timeout: 500,
    });
    expect(chosen.status, chosen.text).toBe(200);
    expect(chosen.body).toMatchObject({ details: { usedModel: true } });
    expect(await page.locator('#lang').inputValue()).toBe('en');
    expect(h.fake.requests).toHaveLength(2);

    const up = await h.wren.call('POST', '/v1/sdk/run_action', {
      url: `${h.site.url}/files.html`,
      browser_session_id: sessionId,
      action: {
        type: 'ai_upload_file',
        selector: '#gone',
        intention: 'the Document field',
        file_url: `${h.site.url}/assets/pixel.svg`,
        timeout: 500,
      },
    });
    expect(up.status, up.text).toBe(200);
    expect(up.body).toMatchObject({ details: { usedModel: true } });
    const filesPage = outside
      .contexts()[0]!
      .pages()
      .find((p) => p.url().includes('files.html'))!;
    expect(
      await filesPage.locator('#doc').evaluate((e) => (e as HTMLInputElement).files?.[0]?.name),
    ).toBe('pixel.svg');
    expect(h.fake.requests).toHaveLength(3);
  });

  it('ai_act does one action and returns it with a stable selector; an impossible one fails saying why', async () => {
    const r = await runAction({ type: 'ai_act', intention: 'type Grace as the display name' });
    expect(r.status, r.text).toBe(200);
    expect((r.body as { result: unknown }).result).toMatchObject({
      action: 'input_text',
      selector: 'role=textbox[name="Display name"]',
      value: 'Grace',
    });
    expect(await page.locator('#display').inputValue()).toBe('Grace');
    const no = await runAction({ type: 'ai_act', intention: 'open the pricing page' });
    expect(no.status).toBe(400);
    expect(String((no.body as { detail: string }).detail)).toMatch(
      /action\.intention: cannot be done/,
    );
  });

  it('extract returns data valid against extract_schema', async () => {
    const schema = {
      type: 'object',
      properties: { heading: { type: 'string' }, people: { type: 'integer' } },
      required: ['heading', 'people'],
    };
    const r = await runAction({
      type: 'extract',
      prompt: 'the heading and how many people are listed',
      extract_schema: schema,
    });
    expect(r.status, r.text).toBe(200);
    expect((r.body as { result: unknown }).result).toEqual({
      heading: 'Account settings',
      people: 2,
    });
    expect(h.fake.lastRequest().schema).toMatchObject({ required: ['heading', 'people'] });
  });

  it('validate answers true or false with the evidence', async () => {
    const yes = await runAction({
      type: 'validate',
      prompt: 'the page heading is Account settings',
    });
    expect(yes.status, yes.text).toBe(200);
    expect(yes.body).toMatchObject({
      result: true,
      details: { evidence: 'heading "Account settings"' },
    });
    const no = await runAction({ type: 'validate', prompt: 'the cart is empty' });
    expect(no.body).toMatchObject({ result: false });
  });

  it('locate_element returns a selector Playwright then clicks', async () => {
    const r = await runAction({ type: 'locate_element', prompt: "Bob's Delete button" });
    expect(r.status, r.text).toBe(200);
    const selector = (r.body as { result: string }).result;
    expect(selector).toBe('[data-testid="delete-bob"]');
    await page.locator(selector).click();
    expect(await page.locator('#log').textContent()).toBe('deleted bob');
  });

  it('prompt needs no browser', async () => {
    const r = await h.wren.call('POST', '/v1/sdk/run_action', {
      url: '',
      action: { type: 'prompt', prompt: 'ping' },
    });
    expect(r.status, r.text).toBe(200);
    expect((r.body as { result: unknown }).result).toBe('pong');
  });

  it('names the field when the request cannot be served', async () => {
    const none = await h.wren.call('POST', '/v1/sdk/run_action', {
      url: `${h.site.url}/selectors.html`,
      action: { type: 'ai_click', selector: 'h1' },
    });
    expect(none.status).toBe(400);
    expect(String((none.body as { detail: string }).detail)).toMatch(/^browser_session_id:/);
    const bad = await runAction({ type: 'ai_hover' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('action');
    const lost = await runAction({ type: 'ai_click', selector: '#gone', timeout: 200 });
    expect(lost.status).toBe(400);
    expect(String((lost.body as { detail: string }).detail)).toMatch(/action\.selector: .*#gone/);
  });
});

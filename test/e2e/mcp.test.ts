/**
 * The MCP server (docs/mcp.md) through the official MCP client of @modelcontextprotocol/sdk, over
 * both transports: streamable HTTP at /mcp, and stdio (`node bin/wren.js mcp` relaying to the
 * server). Each lists the tools, runs a task to completion through the fake model (with progress
 * notifications) and drives a browser session with navigate/act/extract/observe/validate/
 * screenshot; HTTP refuses a wrong key with a 401 that says what to send.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { TaskRunRequestSchema } from '../../src/contract/index.js';
import {
  type AgentHarness,
  actorReply,
  roleOf,
  startAgentHarness,
} from '../support/agent-harness.js';
import { primitiveOf, primitivesModel } from '../support/primitives-model.js';
import { ROOT, WREN_BIN } from '../support/process.js';

const TOOLS = [
  'wren_run_task',
  'wren_get_run',
  'wren_list_runs',
  'wren_cancel_run',
  'wren_create_browser_session',
  'wren_close_browser_session',
  'wren_navigate',
  'wren_act',
  'wren_extract',
  'wren_observe',
  'wren_validate',
  'wren_screenshot',
];

let h: AgentHarness;

beforeAll(async () => {
  h = await startAgentHarness('openai/gpt-5-mini', { WREN_RECORDING: 'false' });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.fake.reset();
  // The primitives answer from the page; a task's actor answers at once and the verifier agrees.
  h.fake.setPolicy((req) => {
    if (primitiveOf(req) !== 'other') return primitivesModel(req);
    if (roleOf(req) === 'verifier')
      return { json: { evidence: 'hours shown', goal_achieved: true, missing: '' } };
    if (roleOf(req) === 'actor')
      return actorReply([{ type: 'complete', answer: 'Monday to Friday, 9 to 5' }]);
    return undefined;
  });
});

function env(extra: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) out[k] = v;
  return { ...out, ...extra };
}

const transports: [string, () => Transport][] = [
  [
    'streamable HTTP (/mcp, Authorization: Bearer)',
    () =>
      new StreamableHTTPClientTransport(new URL(`${h.wren.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${h.wren.apiKey}` } },
      }),
  ],
  [
    'stdio (wren mcp → the server)',
    () =>
      new StdioClientTransport({
        command: process.execPath,
        args: [WREN_BIN, 'mcp'],
        cwd: ROOT,
        env: env({ WREN_BASE_URL: h.wren.url, WREN_API_KEY: h.wren.apiKey }),
        stderr: 'pipe',
      }),
  ],
];

/** Model calls made by the primitives (a finished run's late calls are not counted). */
const primitiveCalls = () => h.fake.requests.filter((r) => primitiveOf(r) !== 'other').length;

const call = (client: Client, name: string, args: Record<string, unknown>) =>
  client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

describe.each(transports)('MCP over %s', (_name, transport) => {
  let client: Client;

  beforeAll(async () => {
    client = new Client({ name: 'wren-test', version: '1.0.0' });
    await client.connect(transport());
  });
  afterAll(async () => {
    await client?.close();
  });

  it('lists every tool with input and output JSON Schemas; run_task takes every run field', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOLS].sort());
    for (const tool of tools) {
      expect(tool.inputSchema.type, tool.name).toBe('object');
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      expect(tool.description, tool.name).toBeTruthy();
    }
    const runTask = tools.find((t) => t.name === 'wren_run_task');
    expect(Object.keys(runTask?.inputSchema.properties ?? {}).sort()).toEqual(
      [...Object.keys(TaskRunRequestSchema.shape), 'wait', 'timeout_seconds'].sort(),
    );
    expect(runTask?.inputSchema.required).toEqual(['prompt']);
  });

  it('runs a task to completion, reporting progress, then gets and lists it', async () => {
    const progress: Progress[] = [];
    const result = (await client.callTool(
      {
        name: 'wren_run_task',
        arguments: {
          prompt: 'What are the opening hours?',
          url: `${h.site.url}/agent/notice.html`,
          engine: 'skyvern-1.0',
          title: 'hours via MCP',
          wait: true,
        },
      },
      undefined,
      { onprogress: (p) => progress.push(p), timeout: 110_000, resetTimeoutOnProgress: true },
    )) as CallToolResult;
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    const run = result.structuredContent as Record<string, unknown>;
    expect(run).toMatchObject({
      status: 'completed',
      output: { answer: 'Monday to Friday, 9 to 5' },
      run_type: 'task_v1',
    });
    // The same run as text content, for clients that ignore structuredContent.
    const text = result.content.find((c) => c.type === 'text');
    expect(JSON.parse(String(text?.type === 'text' ? text.text : ''))).toEqual(run);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]?.message).toMatch(new RegExp(`^run ${String(run['run_id'])}: `));
    expect(h.fake.requests.some((r) => roleOf(r) === 'actor')).toBe(true);

    const got = await call(client, 'wren_get_run', { run_id: run['run_id'] });
    expect(got.structuredContent).toMatchObject({ run_id: run['run_id'], status: 'completed' });
    const listed = await call(client, 'wren_list_runs', { search_key: 'hours via MCP' });
    expect(
      (listed.structuredContent as { runs: { run_id: string }[] }).runs.map((r) => r.run_id),
    ).toContain(run['run_id']);
  });

  it('a waiting run_task returns when wren_cancel_run cancels the run', async () => {
    let sawFirstStep: () => void = () => {};
    const firstStep = new Promise<void>((resolve) => {
      sawFirstStep = resolve;
    });
    // The model does not answer until the test ends: only the cancel can end this run.
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    h.fake.setPolicy(async (req) => {
      if (roleOf(req) !== 'actor') return undefined;
      sawFirstStep();
      await answered;
      return actorReply([{ type: 'wait', seconds: 1 }]);
    });
    try {
      const progress: Progress[] = [];
      const waiting = client.callTool(
        {
          name: 'wren_run_task',
          arguments: {
            prompt: 'Wait around.',
            url: `${h.site.url}/agent/notice.html`,
            engine: 'skyvern-1.0',
            wait: true,
          },
        },
        undefined,
        { onprogress: (p) => progress.push(p), timeout: 110_000 },
      ) as Promise<CallToolResult>;
      await firstStep;
      await expect
        .poll(() => progress.some((p) => /: running/.test(p.message ?? '')), { timeout: 30_000 })
        .toBe(true);
      const runId = /^run (\S+):/.exec(progress[0]?.message ?? '')?.[1];
      const canceled = await call(client, 'wren_cancel_run', { run_id: runId });
      expect(canceled.structuredContent).toMatchObject({ run_id: runId, status: 'canceled' });
      const result = await waiting;
      expect(result.structuredContent).toMatchObject({ run_id: runId, status: 'canceled' });
    } finally {
      answer();
    }
    // The engine stops and frees its browser before the next test counts model calls.
    await expect.poll(() => h.wren.wren.browsers.openRuns, { timeout: 30_000 }).toBe(0);
  });

  it('drives a browser session: navigate, act, extract, observe, validate, screenshot, close', async () => {
    const created = await call(client, 'wren_create_browser_session', {});
    expect(created.isError, JSON.stringify(created.content)).toBeFalsy();
    const session = created.structuredContent as {
      browser_session_id: string;
      browser_address: string;
    };
    const id = session.browser_session_id;
    const outside = await chromium.connectOverCDP(session.browser_address);
    try {
      const nav = await call(client, 'wren_navigate', {
        browser_session_id: id,
        url: `${h.site.url}/selectors.html`,
      });
      expect(nav.structuredContent).toMatchObject({ url: `${h.site.url}/selectors.html` });
      expect(primitiveCalls()).toBe(0);

      const act = await call(client, 'wren_act', {
        browser_session_id: id,
        intention: 'type Grace as the display name',
      });
      expect(act.isError, JSON.stringify(act.content)).toBeFalsy();
      expect(act.structuredContent).toMatchObject({
        action: 'input_text',
        selector: 'role=textbox[name="Display name"]',
        value: 'Grace',
        run_id: expect.stringMatching(/^sdk_/),
      });
      // The session's page as another CDP client sees it (its URL events may trail the tool's answer).
      const page = await vi.waitFor(() => {
        const found = outside
          .contexts()[0]
          ?.pages()
          .find((p) => p.url().includes('selectors.html'));
        if (!found) throw new Error('the session page is not on selectors.html yet');
        return found;
      });
      expect(await page.locator('#display').inputValue()).toBe('Grace');
      expect(primitiveCalls()).toBe(1);

      const extracted = await call(client, 'wren_extract', {
        browser_session_id: id,
        prompt: 'the heading and how many people are listed',
        extract_schema: {
          type: 'object',
          properties: { heading: { type: 'string' }, people: { type: 'integer' } },
          required: ['heading', 'people'],
        },
      });
      expect(extracted.structuredContent).toMatchObject({
        data: { heading: 'Account settings', people: 2 },
      });

      const observed = await call(client, 'wren_observe', {
        browser_session_id: id,
        prompt: 'the Delete buttons',
      });
      const candidates = (observed.structuredContent as { candidates: { selector: string }[] })
        .candidates;
      expect(candidates.length).toBeGreaterThan(0);
      expect(await page.locator(candidates[0]?.selector ?? 'none').count()).toBe(1);

      const valid = await call(client, 'wren_validate', {
        browser_session_id: id,
        prompt: 'the page heading is Account settings',
      });
      expect(valid.structuredContent).toMatchObject({
        valid: true,
        evidence: 'heading "Account settings"',
      });
      const invalid = await call(client, 'wren_validate', {
        browser_session_id: id,
        prompt: 'the cart is empty',
      });
      expect(invalid.structuredContent).toMatchObject({ valid: false });

      const shot = await call(client, 'wren_screenshot', { browser_session_id: id });
      expect(shot.structuredContent).toMatchObject({ url: `${h.site.url}/selectors.html` });
      const image = shot.content.find((c) => c.type === 'image');
      expect(image?.type === 'image' && image.mimeType).toBe('image/png');
      const png = Buffer.from(image?.type === 'image' ? image.data : '', 'base64');
      expect(png.subarray(1, 4).toString()).toBe('PNG');

      // Each primitive is an sdk_action run.
      const actRun = await call(client, 'wren_get_run', {
        run_id: (act.structuredContent as { run_id: string }).run_id,
      });
      expect(actRun.structuredContent).toMatchObject({
        run_type: 'sdk_action',
        status: 'completed',
      });
    } finally {
      await outside.close();
    }
    const closed = await call(client, 'wren_close_browser_session', { browser_session_id: id });
    expect(closed.structuredContent).toEqual({ browser_session_id: id, closed: true });
    const after = await call(client, 'wren_navigate', {
      browser_session_id: id,
      url: `${h.site.url}/selectors.html`,
    });
    expect(after.isError).toBe(true);
  });

  it('answers a bad call with a tool error that names the field', async () => {
    // docs/mcp.md "Tools": a failure is a tool result with isError and a message naming the field.
    const text = (r: CallToolResult) =>
      r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
    const noPrompt = await call(client, 'wren_run_task', { url: `${h.site.url}/index.html` });
    expect(noPrompt.isError).toBe(true);
    expect(text(noPrompt)).toBe('prompt: prompt is required (HTTP 422)');
    const noIntention = await call(client, 'wren_act', { browser_session_id: 'pbs_x' });
    expect(noIntention.isError).toBe(true);
    expect(text(noIntention)).toBe('intention: required');
    const noSession = await call(client, 'wren_act', {
      browser_session_id: 'pbs_missing',
      intention: 'click Save',
    });
    expect(noSession.isError).toBe(true);
    expect(text(noSession)).toMatch(/^browser_session_id: .*pbs_missing/);
    const badWait = await call(client, 'wren_run_task', { prompt: 'x', wait: 'yes' });
    expect(text(badWait)).toMatch(/^wait: /);
    expect(h.fake.requests).toHaveLength(0);
  });
});

describe('MCP over HTTP: API keys', () => {
  it('refuses a wrong or missing key with a 401 that says what to send', async () => {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 't', version: '1' },
      },
    });
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    for (const auth of [
      { 'x-api-key': 'wren_wrong' },
      { authorization: 'Bearer wren_wrong' },
      {} as Record<string, string>,
    ]) {
      const r = await fetch(`${h.wren.url}/mcp`, {
        method: 'POST',
        headers: { ...headers, ...auth },
        body,
      });
      expect(r.status).toBe(401);
      expect(((await r.json()) as { detail: string }).detail).toMatch(
        /^Invalid or missing API key: send a Wren API key as the x-api-key header or as Authorization: Bearer/,
      );
    }
    const client = new Client({ name: 'wren-test', version: '1.0.0' });
    await expect(
      client.connect(
        new StreamableHTTPClientTransport(new URL(`${h.wren.url}/mcp`), {
          requestInit: { headers: { 'x-api-key': 'wren_wrong' } },
        }),
      ),
    ).rejects.toThrow(/Invalid or missing API key/);
  });

  it('the x-api-key header works as well as Bearer', async () => {
    const client = new Client({ name: 'wren-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${h.wren.url}/mcp`), {
        requestInit: { headers: { 'x-api-key': h.wren.apiKey } },
      }),
    );
    expect((await client.listTools()).tools).toHaveLength(TOOLS.length);
    await client.close();
  });
});

describe('MCP over stdio, embedded (wren mcp without a server)', () => {
  let client: Client;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wren-mcp-'));
    client = new Client({ name: 'wren-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [WREN_BIN, 'mcp', '--data-dir', dataDir],
        cwd: ROOT,
        env: env({
          ...h.fake.env('openai/gpt-5-mini'),
          WREN_API_KEY: 'wren_embedded_mcp_key_0123456789',
          WREN_RECORDING: 'false',
          WREN_BASE_URL: '',
          WREN_SERVER_URL: '',
        }),
        stderr: 'pipe',
      }),
    );
  });
  afterAll(async () => {
    await client?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a task and acts on a session in-process', async () => {
    expect((await client.listTools()).tools).toHaveLength(TOOLS.length);
    const result = (await client.callTool(
      {
        name: 'wren_run_task',
        arguments: {
          prompt: 'What are the opening hours?',
          url: `${h.site.url}/agent/notice.html`,
          engine: 'skyvern-1.0',
          wait: true,
        },
      },
      undefined,
      { timeout: 110_000 },
    )) as CallToolResult;
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      status: 'completed',
      output: { answer: 'Monday to Friday, 9 to 5' },
    });

    const created = await call(client, 'wren_create_browser_session', {});
    const id = (created.structuredContent as { browser_session_id: string }).browser_session_id;
    const act = await call(client, 'wren_act', {
      browser_session_id: id,
      url: `${h.site.url}/selectors.html`,
      intention: 'type Grace as the display name',
    });
    expect(act.isError, JSON.stringify(act.content)).toBeFalsy();
    expect(act.structuredContent).toMatchObject({ action: 'input_text', value: 'Grace' });
    const extracted = await call(client, 'wren_extract', {
      browser_session_id: id,
      prompt: 'the heading and how many people are listed',
    });
    expect(extracted.structuredContent).toMatchObject({
      data: { heading: 'Account settings', people: 2 },
    });
    await call(client, 'wren_close_browser_session', { browser_session_id: id });
  });
});

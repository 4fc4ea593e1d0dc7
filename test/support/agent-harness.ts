/**
 * End-to-end harness for the agent engines: a real Wren server (SQLite, HTTP), the fixture sites
 * on loopback, and the fake model server speaking a provider's real wire format. Tests script
 * the model with a policy that reads each request like a model would.
 */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { FakeRequest } from './fake-model/parse.js';
import type { FakeResponse } from './fake-model/replies.js';
import { type FakeModelServer, startFakeModelServer } from './fake-model-server.js';
import { type FixtureServer, LOGIN, startFixtureServer } from './fixture-server.js';
import { isTerminalRun, startTestWren, type TestWren, waitForRun } from './wren.js';

export type Role =
  | 'actor'
  | 'verifier'
  | 'extractor'
  | 'classifier'
  | 'planner'
  | 'summary'
  | 'schema';

/** Which engine prompt a request carries, read from its system prompt. */
export function roleOf(req: FakeRequest): Role {
  const s = req.system;
  if (s.startsWith('You operate a web browser')) return 'actor';
  if (s.startsWith('You check whether')) return 'verifier';
  if (s.startsWith('A browser agent stopped')) return 'classifier';
  if (s.startsWith('You plan how')) return 'planner';
  if (s.startsWith('Write the final result')) return 'summary';
  if (s.startsWith('You write the JSON Schema')) return 'schema';
  return 'extractor';
}

/** The current page block of a prompt (the last untrusted "current page" fence). */
export function pageOf(req: FakeRequest): string {
  const text = req.lastUserText || req.text;
  const start = text.lastIndexOf('source="current page">');
  return start >= 0 ? text.slice(start) : text;
}

/** Element id of the first element whose line matches, e.g. idOf(page, 'button "Next"'). */
export function idOf(page: string, match: string): number {
  const line = page.split('\n').find((l) => l.includes(match));
  const id = line && new RegExp(`\\[(\\d+)\\][^\\[]*${escapeRegExp(match)}`).exec(line)?.[1];
  if (!id) throw new Error(`no element matching ${match} in:\n${page}`);
  return Number(id);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The three actions that sign in on the fixture login page (`login.html`). */
export function signInActions(
  page: string,
  user: string = LOGIN.user,
  pass: string = LOGIN.pass,
): Record<string, unknown>[] {
  return [
    { type: 'input_text', id: idOf(page, 'textbox "Username"'), text: user, submit: false },
    { type: 'input_text', id: idOf(page, 'textbox "Password"'), text: pass, submit: false },
    { type: 'click', id: idOf(page, 'button "Sign in"') },
  ];
}

export function actorReply(
  actions: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
): FakeResponse {
  return { json: { page_state: 'as seen', progress: 'working', actions, ...extra } };
}

/** The verifier's reply: the goal is achieved on this page, or not yet. */
export function verifierReply(done: boolean): FakeResponse {
  return {
    json: { evidence: 'page checked', goal_achieved: done, missing: done ? '' : 'not yet' },
  };
}

/** The fake model's answer where a test allows no model call (a code-mode replay's). */
export const REFUSE_EVERY_CALL: FakeResponse = {
  error: { status: 400, message: 'this test allows no model call' },
};

export interface AgentHarness {
  wren: TestWren;
  fake: FakeModelServer;
  site: FixtureServer;
  submit(body: Record<string, unknown>): Promise<string>;
  waitForRun(runId: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startAgentHarness(
  model = 'openai/gpt-5-mini',
  env: Record<string, string> = {},
): Promise<AgentHarness> {
  const [site, fake] = await Promise.all([startFixtureServer(), startFakeModelServer()]);
  const wren = await startTestWren({
    env: { ...fake.env(model), ...env },
    worker: { pollIntervalMs: 50 },
  });
  return {
    wren,
    fake,
    site,
    async submit(body) {
      const r = await wren.call('POST', '/v1/run/tasks', body);
      if (r.status !== 200) throw new Error(`submit failed ${r.status}: ${r.text}`);
      return (r.body as { run_id: string }).run_id;
    },
    waitForRun(runId, timeoutMs = 90_000) {
      return waitForRun(wren, runId, isTerminalRun, timeoutMs);
    },
    async close() {
      await wren.close();
      await Promise.all([fake.close(), site.close()]);
    },
  };
}

/**
 * A code-mode replay with the fake model refusing every call: it must complete without the AI
 * fallback, with 0 calls and 0 usage (issue 21's replay bar). Returns the run.
 */
export async function replayWithoutModel(
  h: AgentHarness,
  submit: () => Promise<string>,
): Promise<Record<string, unknown>> {
  h.fake.reset();
  h.site.clear();
  h.fake.setPolicy(() => REFUSE_EVERY_CALL);
  const replay = await h.waitForRun(await submit());
  if (replay['failure_reason']) throw new Error(`replay failed: ${replay['failure_reason']}`);
  if (replay['status'] !== 'completed') throw new Error(`replay ${replay['status']}`);
  const scriptRun = replay['script_run'] as { ai_fallback_triggered?: unknown } | null;
  if (scriptRun?.ai_fallback_triggered !== false)
    throw new Error(`the replay used the model: ${JSON.stringify(scriptRun)}`);
  if (h.fake.requests.length !== 0)
    throw new Error(`the replay made ${h.fake.requests.length} model calls`);
  const usage = replay['usage'] as Record<string, number> | undefined;
  if (usage && (usage['input_tokens'] || usage['output_tokens'] || usage['cost_usd']))
    throw new Error(`the replay was billed: ${JSON.stringify(usage)}`);
  return replay;
}

/** The run downloaded exactly one file: `filename`, with `bytes` (its checksum and its URL's body). */
export async function expectOneDownload(
  run: Record<string, unknown>,
  filename: string,
  bytes: string,
): Promise<void> {
  const files = run['downloaded_files'] as { filename: string; checksum: string; url: string }[];
  expect(files).toHaveLength(1);
  expect(files[0]?.filename).toBe(filename);
  expect(files[0]?.checksum).toBe(createHash('sha256').update(bytes).digest('hex'));
  expect(await fetch(files[0]?.url ?? '').then((r) => r.text())).toBe(bytes);
}

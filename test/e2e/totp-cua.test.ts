/**
 * Two-factor logins through a computer-use engine (openai-cua, the fake model speaking the
 * Responses API): the model only sees and types placeholders; Wren substitutes the password and
 * the code as the keys are pressed, typing the code one digit per box where the page splits it.
 * The fake navigates with the keyboard (Tab, type, Enter), so no coordinates are involved.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeRequest } from '../support/fake-model/parse.js';
import { type FakeModelServer, startFakeModelServer } from '../support/fake-model-server.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';
import { scanForSecrets, totpCodesBetween } from '../support/secrecy-scan.js';
import { createTotpSite, TOTP_SITE_USER, type TotpSite } from '../support/totp-site.js';
import { isTerminalRun, startTestWren, type TestWren, waitForRun } from '../support/wren.js';

const SECRET = 'NBSWY3DPEB3W64TMMQQHEZLUOJSW4ZDB';

let site: FixtureServer;
let bank: TotpSite;
let fake: FakeModelServer;
let t: TestWren;
const logLines: string[] = [];
const runIds: string[] = [];
let startedAt = 0;

type Step = { key: 'Tab' | 'Enter' } | { text: string };
const tab: Step = { key: 'Tab' };
const enter: Step = { key: 'Enter' };

/** Which turn of its run's conversation a request is (1 = the task; runs go one at a time). */
function turnOf(req: FakeRequest): number {
  if (req.dialect === 'anthropic-messages') {
    // Anthropic gets the whole conversation each time: user, assistant, user, …
    const messages = (req.body as { messages?: unknown[] }).messages ?? [];
    return (messages.length + 1) / 2;
  }
  let start = req.index;
  while (start > 0 && fake.requests[start]?.previousResponseId) start--;
  return req.index - start + 1;
}

/** The same keyboard steps in each vendor's computer-use wire format. */
function act(req: FakeRequest, steps: Step[]) {
  if (req.dialect === 'anthropic-messages') {
    return {
      toolCalls: steps.map((s) => ({
        name: 'computer',
        args:
          'text' in s
            ? { action: 'type', text: s.text }
            : { action: 'key', text: s.key === 'Enter' ? 'Return' : 'Tab' },
      })),
    };
  }
  return {
    computerCalls: [
      {
        actions: steps.map((s) =>
          'text' in s ? { type: 'type', text: s.text } : { type: 'keypress', keys: [s.key] },
        ),
      },
    ],
  };
}

/**
 * Plays a computer-use model: signs in with what the task says, then either types the code
 * placeholder straight away or first asks for the code in words (`ask`).
 */
function turnPolicy(options: { ask: boolean }) {
  return (req: FakeRequest) => {
    const turn = turnOf(req);
    if (turn === 1) {
      const username = /Sign in as (\S+)\./.exec(req.text)?.[1] ?? '';
      const password = /type exactly (\{\{secret:[a-z_]+\}\})/.exec(req.text)?.[1] ?? '';
      return act(req, [tab, { text: username }, tab, { text: password }, enter]);
    }
    if (options.ask && turn === 2) {
      return { text: 'The bank asks for a verification code. What is the code?' };
    }
    if (turn === (options.ask ? 3 : 2)) {
      // The task (or the answer to the question) names the placeholder to type.
      const said = fake.requests.slice(req.index - turn + 1, req.index + 1).map((r) => r.text);
      const placeholder = /type exactly (\{\{totp\}\})/.exec(said.join('\n'))?.[1] ?? '';
      return act(req, [tab, { text: placeholder }, enter]);
    }
    return { text: 'Signed in to the bank.' };
  };
}

beforeAll(async () => {
  startedAt = Date.now();
  bank = createTotpSite({ secret: SECRET });
  [site, fake] = await Promise.all([startFixtureServer({ totp: bank }), startFakeModelServer()]);
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  t = await startTestWren({
    env: {
      ...fake.env('anthropic/claude-sonnet-4-5'),
      ...fake.env('openai-compatible/ui-tars-72b-dpo'),
      ...fake.env('openai/gpt-5.5'),
      WREN_TOTP_POLL_INTERVAL_MS: '200',
      WREN_TOTP_TIMEOUT_MS: '2000',
      // No video: encoding it dominates a run's end on a busy machine, and recording has its own tests.
      WREN_RECORDING: 'false',
    },
    worker: { pollIntervalMs: 50 },
    log: { level: 'debug', destination: capture },
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await Promise.all([fake?.close(), site?.close()]);
});

async function credential(totp?: string): Promise<string> {
  const created = await t.call('POST', '/v1/credentials', {
    name: 'bank',
    username: TOTP_SITE_USER.username,
    password: TOTP_SITE_USER.password,
    ...(totp ? { totp } : {}),
  });
  expect(created.status).toBe(201);
  return (created.body as { credential_id: string }).credential_id;
}

async function runCua(body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const r = await t.call('POST', '/v1/run/tasks', {
    engine: 'openai-cua',
    prompt: 'Sign in to the bank.',
    ...body,
  });
  expect(r.status, r.text).toBe(200);
  const runId = (r.body as { run_id: string }).run_id;
  runIds.push(runId);
  return waitForRun(t, runId, isTerminalRun, 120_000);
}

/** The run's "typed the verification code" log lines: how the code went in. */
function howCodeWasTyped(run: Record<string, unknown>): string[] {
  return logLines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((l) => l['run_id'] === run['run_id'] && l['msg'] === 'typed the verification code')
    .map((l) => String(l['how']));
}

describe('two-factor login through a computer-use engine', () => {
  it('openai-cua types the password and a generated code from placeholders', async () => {
    fake.setPolicy(turnPolicy({ ask: false }));
    const from = bank.received.length;
    const run = await runCua({
      url: `${site.url}/totp/index.html`,
      credential_id: await credential(SECRET),
    });
    expect(run['failure_reason'] ?? null).toBeNull();
    expect(run['status']).toBe('completed');
    const got = bank.received.slice(from);
    expect(got.map((r) => [r.path, r.accepted])).toEqual([
      ['/totp/login', true],
      ['/totp/verify', true],
    ]);
    expect(got[0]?.form['password']).toBe(TOTP_SITE_USER.password);
    expect(howCodeWasTyped(run)).toEqual(['typed the code']);
    // The model was told placeholders, and typed them.
    expect(fake.requests[0]?.text).toContain('{{secret:password}}');
    expect(fake.requests[0]?.text).toContain('{{totp}}');
    expect(fake.violations).toEqual([]);
  });

  it('asks for the code in words on the six-box page, then types it one digit per box', async () => {
    fake.setPolicy(turnPolicy({ ask: true }));
    const from = bank.received.length;
    const run = await runCua({
      url: `${site.url}/totp/index.html?challenge=boxes`,
      credential_id: await credential(SECRET),
    });
    expect(run['failure_reason'] ?? null).toBeNull();
    expect(run['status']).toBe('completed');
    const got = bank.received.slice(from);
    expect(got.map((r) => [r.path, r.accepted])).toEqual([
      ['/totp/login', true],
      ['/totp/verify', true],
    ]);
    expect(got[0]?.form['challenge']).toBe('boxes');
    expect(howCodeWasTyped(run)).toEqual(['typed one character into each of 6 boxes']);
    // The answer to the question named the placeholder, never the code.
    const answers = fake.requests.filter((r) => r.lastUserText.includes('code is ready'));
    expect(answers).toHaveLength(1);
    expect(answers[0]?.lastUserText).toContain('type exactly {{totp}}');
    expect(fake.violations).toEqual([]);
  });

  it('ends MISSING_TOTP_SOURCE when the model needs a code and the run has no source', async () => {
    fake.setPolicy(turnPolicy({ ask: false }));
    const from = bank.received.length;
    const run = await runCua({
      url: `${site.url}/totp/index.html`,
      credential_id: await credential(),
    });
    expect(run['status']).toBe('failed');
    expect(run['errors']).toContainEqual(
      expect.objectContaining({ error_code: 'MISSING_TOTP_SOURCE' }),
    );
    expect(String(run['failure_reason'])).toMatch(/no 2FA source/);
    expect(bank.received.slice(from).map((r) => r.path)).toEqual(['/totp/login']);
  });

  it('anthropic-cua types the password and a generated code from placeholders', async () => {
    fake.setPolicy(turnPolicy({ ask: false }));
    const from = bank.received.length;
    const run = await runCua({
      engine: 'anthropic-cua',
      model: { model_name: 'anthropic/claude-sonnet-4-5' },
      url: `${site.url}/totp/index.html`,
      credential_id: await credential(SECRET),
    });
    expect(run['failure_reason'] ?? null).toBeNull();
    expect(run['status']).toBe('completed');
    expect(bank.received.slice(from).map((r) => [r.path, r.accepted])).toEqual([
      ['/totp/login', true],
      ['/totp/verify', true],
    ]);
    expect(fake.requests.some((r) => r.dialect === 'anthropic-messages')).toBe(true);
    expect(fake.violations).toEqual([]);
  });

  it('ends OTP_TIMEOUT when the model types the placeholder and no code is ever pushed', async () => {
    fake.setPolicy(turnPolicy({ ask: false }));
    const from = bank.received.length;
    const run = await runCua({
      url: `${site.url}/totp/index.html`,
      credential_id: await credential(),
      totp_identifier: 'silent@fixture-bank.test',
    });
    expect(run['status']).toBe('failed');
    expect(run['errors']).toContainEqual(
      expect.objectContaining({ error_code: 'OTP_TIMEOUT', error_type: 'SYSTEM_DEFINED_ERROR' }),
    );
    expect(String(run['failure_reason'])).toMatch(/no verification code received within 2 s/);
    expect(bank.received.slice(from).map((r) => r.path)).toEqual(['/totp/login']);
  });

  it('ui-tars asks with call_user() on the six-box page, then types the placeholder', async () => {
    // UI-TARS does one action per turn in its text grammar; the chat history carries the turns.
    fake.setPolicy((req) => {
      const messages = (req.body as { messages?: Array<{ role?: string }> }).messages ?? [];
      const turn = 1 + messages.filter((m) => m.role === 'assistant').length;
      const username = /Sign in as (\S+)\./.exec(req.text)?.[1] ?? '';
      const password = /type exactly (\{\{secret:[a-z_]+\}\})/.exec(req.text)?.[1] ?? '';
      const placeholder = /type exactly (\{\{totp\}\})/.exec(req.text)?.[1] ?? '';
      const replies = [
        "Thought: Go to the username field.\nAction: hotkey(key='tab')",
        `Thought: Type the username.\nAction: type(content='${username}')`,
        "Thought: Next field.\nAction: hotkey(key='tab')",
        `Thought: Type the password and submit.\nAction: type(content='${password}\\n')`,
        'Thought: The bank wants a verification code from my authenticator.\nAction: call_user()',
        "Thought: Go to the first box.\nAction: hotkey(key='tab')",
        `Thought: Type the code.\nAction: type(content='${placeholder}\\n')`,
        "Thought: Signed in.\nAction: finished(content='Signed in')",
      ];
      return { text: replies[Math.min(turn, replies.length) - 1] };
    });
    const from = bank.received.length;
    const run = await runCua({
      engine: 'ui-tars',
      model: { model_name: 'openai-compatible/ui-tars-72b-dpo' },
      url: `${site.url}/totp/index.html?challenge=boxes`,
      credential_id: await credential(SECRET),
    });
    expect(run['failure_reason'] ?? null).toBeNull();
    expect(run['status']).toBe('completed');
    expect(bank.received.slice(from).map((r) => [r.path, r.accepted])).toEqual([
      ['/totp/login', true],
      ['/totp/verify', true],
    ]);
    expect(fake.requests.some((r) => r.text.includes('The verification code is ready'))).toBe(true);
    expect(howCodeWasTyped(run)).toEqual(['typed one character into each of 6 boxes']);
  });

  it('no password, secret or code in any model request, log line, file or row of these runs', async () => {
    const codes = new Set([
      ...totpCodesBetween(SECRET, startedAt - 30_000, Date.now() + 30_000),
      ...bank.received.flatMap((r) => (r.form['code'] ? [r.form['code']] : [])),
    ]);
    const scan = await scanForSecrets({
      wren: t,
      modelRequests: fake.requests,
      logLines,
      runIds,
      secrets: [TOTP_SITE_USER.password, SECRET],
      codes: [...codes],
    });
    expect(scan.leaks).toEqual([]);
    expect(scan.scanned.logLines).toBeGreaterThan(10);
    expect(scan.scanned.har).toBe(runIds.length);
  });
});

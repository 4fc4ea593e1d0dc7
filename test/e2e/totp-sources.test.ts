/**
 * Two-factor logins end to end, for every place a code can come from: a `totp_url` the server
 * polls, a code pushed through `POST /v1/credentials/totp` while the run waits, nothing at all
 * (OTP_TIMEOUT), and a stored secret typed into six one-digit boxes. Real server, real Chromium,
 * the fixture bank verifying codes, and the fake model playing the agent. The last test scans
 * every model request, log line, stored file and database row of these runs for the password,
 * the TOTP secret and every code that was valid while they ran.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { generateSync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyBodySignature } from '../../src/credentials/signature.js';
import { SqlTotpCodeStore } from '../../src/store/credentials.js';
import { actorReply, idOf, pageOf, roleOf, signInActions } from '../support/agent-harness.js';
import type { FakeRequest } from '../support/fake-model/parse.js';
import { type FakeModelServer, startFakeModelServer } from '../support/fake-model-server.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';
import { scanForSecrets, totpCodesBetween } from '../support/secrecy-scan.js';
import { createTotpSite, TOTP_SITE_USER, type TotpSite } from '../support/totp-site.js';
import {
  isTerminalRun,
  startTestWren,
  TEST_API_KEY,
  type TestWren,
  waitForRun,
} from '../support/wren.js';

const SECRET = 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU';
const POLL_MS = 200;
const TIMEOUT_MS = 4000;

interface UrlRequest {
  taskId: string;
  signed: boolean;
  answered: string;
}

let site: FixtureServer;
let bank: TotpSite;
let fake: FakeModelServer;
let t: TestWren;
let codeEndpoint: Server;
let codeEndpointUrl: string;
const urlRequests: UrlRequest[] = [];
const logLines: string[] = [];
const runIds: string[] = [];
let startedAt = 0;
let loginOnly: string;
let withSecret: string;

const currentCode = () =>
  generateSync({ secret: SECRET, epoch: Math.floor(Date.now() / 1000), digits: 6, period: 30 });

/** A caller's totp_url: "no code yet" twice per run, then the current code. */
function startCodeEndpoint(): Promise<void> {
  codeEndpoint = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const taskId = String((JSON.parse(raw) as { task_id?: unknown }).task_id ?? '');
      const signed = verifyBodySignature(
        raw,
        TEST_API_KEY,
        String(req.headers['x-skyvern-signature'] ?? ''),
      );
      const earlier = urlRequests.filter((r) => r.taskId === taskId).length;
      const answered = signed && earlier >= 2 ? currentCode() : '';
      urlRequests.push({ taskId, signed, answered });
      res.writeHead(signed ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ verification_code: answered }));
    });
  });
  return new Promise((resolve) => {
    codeEndpoint.listen(0, '127.0.0.1', () => {
      codeEndpointUrl = `http://127.0.0.1:${(codeEndpoint.address() as AddressInfo).port}/code`;
      resolve();
    });
  });
}

/** The agent: signs in, asks for the verification code wherever the page wants one, verifies. */
function agentPolicy(req: FakeRequest) {
  const page = pageOf(req);
  if (roleOf(req) === 'verifier') {
    return {
      json: { evidence: 'welcome', goal_achieved: page.includes('Welcome back'), missing: '' },
    };
  }
  if (roleOf(req) !== 'actor') return undefined;
  if (page.includes('Welcome back')) return actorReply([{ type: 'complete', answer: null }]);
  for (const field of ['textbox "Verification code"', 'textbox "Digit 1"']) {
    const filled = new RegExp(`${field}[^\n]* value="([^"]*)"`).exec(page);
    if (filled) {
      // Filled (the agent sees dots, never the digits): submit.
      expect(filled[1]).toMatch(/^•+$/);
      return actorReply([{ type: 'click', id: idOf(page, 'button "Verify"') }]);
    }
    if (page.includes(field)) {
      // One step to enter the code, the next to submit: the agent looks at the filled field.
      return actorReply([{ type: 'enter_verification_code', id: idOf(page, field) }]);
    }
  }
  const username = /Username: (\S+)/.exec(req.lastUserText)?.[1] ?? '';
  const password = /Password: (\{\{secret:[a-z_]+\}\})/.exec(req.lastUserText)?.[1] ?? '';
  return actorReply(signInActions(page, username, password));
}

async function createCredential(totp?: string): Promise<string> {
  const created = await t.call('POST', '/v1/credentials', {
    name: totp ? 'bank with authenticator' : 'bank login',
    username: TOTP_SITE_USER.username,
    password: TOTP_SITE_USER.password,
    ...(totp ? { totp } : {}),
  });
  expect(created.status).toBe(201);
  return (created.body as { credential_id: string }).credential_id;
}

async function submit(body: Record<string, unknown>): Promise<string> {
  const r = await t.call('POST', '/v1/run/tasks', {
    engine: 'skyvern-1.0',
    prompt: 'Sign in to the bank with my saved login.',
    ...body,
  });
  expect(r.status, r.text).toBe(200);
  const runId = (r.body as { run_id: string }).run_id;
  runIds.push(runId);
  return runId;
}

const finished = (runId: string) => waitForRun(t, runId, isTerminalRun, 120_000);
const verifiesFor = (from: number) =>
  bank.received.slice(from).filter((r) => r.path === '/totp/verify');

beforeAll(async () => {
  startedAt = Date.now();
  bank = createTotpSite({ secret: SECRET });
  [site, fake] = await Promise.all([
    startFixtureServer({ totp: bank }),
    startFakeModelServer(),
    startCodeEndpoint(),
  ]);
  fake.setPolicy(agentPolicy);
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  t = await startTestWren({
    env: {
      ...fake.env('openai/gpt-5-mini'),
      WREN_TOTP_POLL_INTERVAL_MS: String(POLL_MS),
      WREN_TOTP_TIMEOUT_MS: String(TIMEOUT_MS),
      // No video: encoding it dominates a run's end on a busy machine, and recording has its own tests.
      WREN_RECORDING: 'false',
    },
    worker: { pollIntervalMs: 50 },
    log: { level: 'debug', destination: capture },
  });
  loginOnly = await createCredential();
  withSecret = await createCredential(SECRET);
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await t?.close();
  await Promise.all([
    fake?.close(),
    site?.close(),
    new Promise((resolve) => (codeEndpoint ? codeEndpoint.close(resolve) : resolve(undefined))),
  ]);
});

describe('two-factor codes from every source, end to end', () => {
  it('polls a totp_url (signed, with the run id) until it answers, then the site accepts the code', async () => {
    const from = bank.received.length;
    const runId = await submit({
      url: `${site.url}/totp/index.html`,
      credential_id: loginOnly,
      totp_url: codeEndpointUrl,
    });
    const run = await finished(runId);
    expect(run['failure_reason'] ?? null).toBeNull();
    expect(run['status']).toBe('completed');

    const mine = urlRequests.filter((r) => r.taskId === runId);
    expect(mine.length).toBeGreaterThanOrEqual(3);
    expect(mine.every((r) => r.signed)).toBe(true);
    expect(mine.slice(0, 2).map((r) => r.answered)).toEqual(['', '']);
    const served = mine[2]?.answered ?? '';
    expect(served).toMatch(/^\d{6}$/);

    const verifies = verifiesFor(from);
    expect(verifies.map((v) => [v.form['code'], v.accepted])).toEqual([[served, true]]);
  });

  it('picks up a code pushed through POST /v1/credentials/totp while the run waits for it', async () => {
    const identifier = 'jane@fixture-bank.test';
    const polls: string[] = [];
    const findRecent = SqlTotpCodeStore.prototype.findRecent;
    const spy = vi.spyOn(SqlTotpCodeStore.prototype, 'findRecent').mockImplementation(function (
      this: SqlTotpCodeStore,
      query,
    ) {
      polls.push(query.totpIdentifier);
      return findRecent.call(this, query);
    });
    const from = bank.received.length;
    const runId = await submit({
      url: `${site.url}/totp/index.html`,
      credential_id: loginOnly,
      totp_identifier: identifier,
    });

    // The run is waiting once it has asked for a pushed code at least once and found none.
    await expect
      .poll(() => polls.includes(identifier), {
        timeout: 60_000,
        message: 'the run never asked for a pushed code',
      })
      .toBe(true);
    expect(verifiesFor(from)).toEqual([]);
    const code = currentCode();
    const pushed = await t.call('POST', '/v1/credentials/totp', {
      totp_identifier: identifier,
      content: `Fixture Bank: ${code} is your verification code. It expires in 10 minutes.`,
      source: 'sms',
      task_id: runId,
    });
    expect(pushed.status, pushed.text).toBe(200);
    expect((pushed.body as { code: string }).code).toBe(code);

    const run = await finished(runId);
    spy.mockRestore();
    expect(run['failure_reason'] ?? null).toBeNull();
    expect(run['status']).toBe('completed');
    expect(verifiesFor(from).map((v) => [v.form['code'], v.accepted])).toEqual([[code, true]]);
  });

  it('ends the run failed with OTP_TIMEOUT when no code ever arrives', async () => {
    const from = bank.received.length;
    const began = Date.now();
    const runId = await submit({
      url: `${site.url}/totp/index.html`,
      credential_id: loginOnly,
      totp_identifier: 'nobody-sends@fixture-bank.test',
    });
    const run = await finished(runId);
    expect(run['status']).toBe('failed');
    expect(Date.now() - began).toBeGreaterThanOrEqual(TIMEOUT_MS);
    const errors = run['errors'] as Array<Record<string, unknown>>;
    expect(errors).toContainEqual(
      expect.objectContaining({ error_code: 'OTP_TIMEOUT', error_type: 'SYSTEM_DEFINED_ERROR' }),
    );
    expect(String(run['failure_reason'])).toMatch(/no verification code received within 4 s/);
    // It signed in, then never typed a code.
    expect(bank.received.slice(from).map((r) => [r.path, r.accepted])).toEqual([
      ['/totp/login', true],
    ]);
  });

  it('types a generated code one digit per box on the six-box challenge', async () => {
    const from = bank.received.length;
    const runId = await submit({
      url: `${site.url}/totp/index.html?challenge=boxes`,
      credential_id: withSecret,
    });
    const run = await finished(runId);
    expect(run['failure_reason'] ?? null).toBeNull();
    expect(run['status']).toBe('completed');
    const login = bank.received.slice(from).find((r) => r.path === '/totp/login');
    expect(login?.form['challenge']).toBe('boxes');
    const verifies = verifiesFor(from);
    expect(verifies).toHaveLength(1);
    expect(verifies[0]?.accepted).toBe(true);
    expect(verifies[0]?.form['code']).toMatch(/^\d{6}$/);
    // One digit per box is no text a mask could recognise: the agent saw the filled boxes as dots.
    const pages = fake.requests.filter((r) => roleOf(r) === 'actor').map((r) => pageOf(r));
    expect(pages.some((p) => /textbox "Digit 6"[^\n]* value="•"/.test(p))).toBe(true);
    expect(pages.filter((p) => /textbox "Digit \d"[^\n]* value="\d"/.test(p))).toEqual([]);
  });

  it('no password, TOTP secret or code reaches a model request, a log line, a stored file or a database row', async () => {
    expect(runIds.length).toBe(4);
    const codes = new Set([
      ...totpCodesBetween(SECRET, startedAt - 30_000, Date.now() + 30_000),
      ...bank.received.flatMap((r) => (r.form['code'] ? [r.form['code']] : [])),
    ]);
    const findings = await scanForSecrets({
      wren: t,
      modelRequests: fake.requests,
      logLines,
      runIds,
      secrets: [TOTP_SITE_USER.password, SECRET],
      codes: [...codes],
    });
    expect(findings.scanned.modelRequests).toBeGreaterThan(10);
    expect(findings.scanned.logLines).toBeGreaterThan(20);
    expect(findings.scanned.files).toBeGreaterThan(5);
    expect(findings.scanned.rows).toBeGreaterThan(10);
    // Each run's HAR (the code and password forms were posted in it) is scanned as served.
    expect(findings.scanned.har).toBe(runIds.length);
    expect(findings.leaks).toEqual([]);
  });
});

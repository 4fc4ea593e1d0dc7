import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorReply, idOf, pageOf, roleOf, signInActions } from '../support/agent-harness.js';
import { type FakeModelServer, startFakeModelServer } from '../support/fake-model-server.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';
import { createTotpSite, TOTP_SITE_USER, type TotpSite } from '../support/totp-site.js';
import { isTerminalRun, startTestWren, type TestWren, waitForRun } from '../support/wren.js';

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

let site: FixtureServer;
let totp: TotpSite;
let fake: FakeModelServer;
let t: TestWren;

beforeAll(async () => {
  totp = createTotpSite({ secret: SECRET });
  [site, fake] = await Promise.all([startFixtureServer({ totp }), startFakeModelServer()]);
  t = await startTestWren({
    env: { ...fake.env('openai/gpt-5-mini'), WREN_LOG_LEVEL: 'info' },
    worker: { pollIntervalMs: 50 },
  });
});
afterAll(async () => {
  await t?.close();
  await Promise.all([fake?.close(), site?.close()]);
});

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe('two-factor login end to end', () => {
  it('logs in with a stored credential and its TOTP secret; no secret reaches the model or the artifacts', async () => {
    const created = await t.call('POST', '/v1/credentials', {
      name: 'fixture bank',
      username: TOTP_SITE_USER.username,
      password: TOTP_SITE_USER.password,
      totp: SECRET,
    });
    expect(created.status).toBe(201);
    const credentialId = (created.body as { credential_id: string }).credential_id;

    fake.setPolicy((req) => {
      const page = pageOf(req);
      if (roleOf(req) === 'verifier') {
        return {
          json: { evidence: 'welcome', goal_achieved: page.includes('Welcome back'), missing: '' },
        };
      }
      if (roleOf(req) !== 'actor') return undefined;
      if (page.includes('Welcome back')) return actorReply([{ type: 'complete', answer: null }]);
      if (page.includes('textbox "Verification code"')) {
        return actorReply([
          { type: 'enter_verification_code', id: idOf(page, 'textbox "Verification code"') },
          { type: 'click', id: idOf(page, 'button "Verify"') },
        ]);
      }
      const username = /Username: (\S+)/.exec(req.lastUserText)?.[1] ?? '';
      const password = /Password: (\{\{secret:[a-z_]+\}\})/.exec(req.lastUserText)?.[1] ?? '';
      return actorReply(signInActions(page, username, password));
    });

    const submitted = await t.call('POST', '/v1/run/tasks', {
      engine: 'skyvern-1.0',
      prompt: 'Sign in to the bank with my saved login.',
      url: `${site.url}/totp/index.html`,
      credential_id: credentialId,
    });
    expect(submitted.status).toBe(200);
    const runId = (submitted.body as { run_id: string }).run_id;
    const run = await waitForRun(t, runId, isTerminalRun, 90_000);
    expect(run['failure_reason'] ?? null, JSON.stringify(totp.received.slice(0, 3))).toBeNull();
    expect(run['status']).toBe('completed');

    // The site received the real password and a valid code.
    const login = totp.received.find((r) => r.path === '/totp/login');
    expect(login?.accepted).toBe(true);
    expect(login?.form['password']).toBe(TOTP_SITE_USER.password);
    const verify = totp.received.find((r) => r.path === '/totp/verify');
    expect(verify?.accepted).toBe(true);
    const code = verify?.form['code'] ?? '';
    expect(code).toMatch(/^\d{6}$/);

    // Neither the password, the TOTP secret nor the code reached the model, the stored steps
    // or any artifact (screenshots are images; their text layer is the page text we scan).
    const forbidden = [TOTP_SITE_USER.password, SECRET, code];
    const sentToModel = fake.requests.map((r) => r.rawBody).join('\n');
    for (const secret of forbidden) expect(sentToModel).not.toContain(secret);
    const steps = JSON.stringify(await t.wren.store.runs.steps(runId));
    for (const secret of forbidden) expect(steps).not.toContain(secret);
    const stored = files(join(t.dataDir, 'artifacts'))
      .map((f) => readFileSync(f))
      .filter(
        (b) =>
          !b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
      );
    expect(stored.length).toBeGreaterThan(0);
    for (const bytes of stored)
      for (const secret of forbidden) expect(bytes.includes(secret)).toBe(false);
    const runJson = JSON.stringify(run);
    for (const secret of forbidden) expect(runJson).not.toContain(secret);
  });

  it('skyvern-2.0: the inner task of a navigate sub-goal gets the credential and the 2FA code', async () => {
    const created = await t.call('POST', '/v1/credentials', {
      name: 'fixture bank (2.0)',
      username: TOTP_SITE_USER.username,
      password: TOTP_SITE_USER.password,
      totp: SECRET,
    });
    const credentialId = (created.body as { credential_id: string }).credential_id;
    const before = totp.received.length;
    fake.reset();
    fake.setPolicy((req) => {
      const page = pageOf(req);
      if (req.system.startsWith('You plan how')) {
        const done = page.includes('Welcome back');
        return {
          json: {
            page_state: done ? 'signed in' : 'sign-in page',
            required_subgoals: [
              { subgoal: 'signed in', satisfied: done, evidence: page.slice(0, 40) },
            ],
            goal_achieved: done,
            should_terminate: false,
            termination_reason: '',
            next: done
              ? { kind: 'answer', goal: '', loop_item_goal: '' }
              : { kind: 'navigate', goal: 'Sign in with the saved login', loop_item_goal: '' },
          },
        };
      }
      if (req.system.startsWith('Write the final result')) {
        return { json: { answer: 'Signed in.', data: { signed_in: true } } };
      }
      if (roleOf(req) === 'verifier') {
        return {
          json: { evidence: 'welcome', goal_achieved: page.includes('Welcome back'), missing: '' },
        };
      }
      if (roleOf(req) !== 'actor') return undefined;
      if (page.includes('Welcome back')) return actorReply([{ type: 'complete', answer: null }]);
      if (page.includes('textbox "Verification code"')) {
        return actorReply([
          { type: 'enter_verification_code', id: idOf(page, 'textbox "Verification code"') },
          { type: 'click', id: idOf(page, 'button "Verify"') },
        ]);
      }
      const username = /Username: (\S+)/.exec(req.lastUserText)?.[1] ?? '';
      const password = /Password: (\{\{secret:[a-z_]+\}\})/.exec(req.lastUserText)?.[1] ?? '';
      return actorReply(signInActions(page, username, password));
    });
    const submitted = await t.call('POST', '/v1/run/tasks', {
      engine: 'skyvern-2.0',
      prompt: 'Sign in to the bank with my saved login.',
      url: `${site.url}/totp/index.html`,
      credential_id: credentialId,
    });
    expect(submitted.status).toBe(200);
    const runId = (submitted.body as { run_id: string }).run_id;
    const run = await waitForRun(t, runId, isTerminalRun, 240_000);
    expect(run['failure_reason'] ?? null).toBeNull();
    expect(run['status']).toBe('completed');
    expect(run['output']).toEqual({ answer: 'Signed in.', data: { signed_in: true } });
    const received = totp.received.slice(before);
    const login = received.find((r) => r.path === '/totp/login');
    expect(login?.accepted).toBe(true);
    expect(login?.form['password']).toBe(TOTP_SITE_USER.password);
    const verify = received.find((r) => r.path === '/totp/verify');
    expect(verify?.accepted).toBe(true);
    const code = verify?.form['code'] ?? '';
    expect(code).toMatch(/^\d{6}$/);
    const sentToModel = fake.requests.map((r) => r.rawBody).join('\n');
    for (const secret of [TOTP_SITE_USER.password, SECRET, code]) {
      expect(sentToModel).not.toContain(secret);
    }
  }, 300_000);
});

/**
 * Run with code (docs/code-mode.md) on a login with a stored credential and TOTP: the compiled
 * script keeps the password and the code as placeholders, binds the username to the credential,
 * and its replay signs in with no model call (the code is generated from the credential's secret
 * when the step runs).
 */
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
    // No video: encoding it dominates a run's end on a busy machine, and recording has its own tests.
    env: { ...fake.env('openai/gpt-5-mini'), WREN_RECORDING: 'false' },
    worker: { pollIntervalMs: 50 },
  });
});
afterAll(async () => {
  await t?.close();
  await Promise.all([fake?.close(), site?.close()]);
});

describe('run with code: stored credential and TOTP', () => {
  it('compiles the login with placeholders and replays it with no model call', async () => {
    const created = await t.call('POST', '/v1/credentials', {
      name: 'fixture bank',
      username: TOTP_SITE_USER.username,
      password: TOTP_SITE_USER.password,
      totp: SECRET,
    });
    const credentialId = (created.body as { credential_id: string }).credential_id;
    fake.setPolicy((req) => {
      const page = pageOf(req);
      if (roleOf(req) === 'verifier')
        return {
          json: { evidence: 'welcome', goal_achieved: page.includes('Welcome back'), missing: '' },
        };
      if (roleOf(req) !== 'actor') return undefined;
      if (page.includes('Welcome back')) return actorReply([{ type: 'complete', answer: null }]);
      if (page.includes('textbox "Verification code"'))
        return actorReply([
          { type: 'enter_verification_code', id: idOf(page, 'textbox "Verification code"') },
          { type: 'click', id: idOf(page, 'button "Verify"') },
        ]);
      const username = /Username: (\S+)/.exec(req.lastUserText)?.[1] ?? '';
      const password = /Password: (\{\{secret:[a-z_]+\}\})/.exec(req.lastUserText)?.[1] ?? '';
      return actorReply(signInActions(page, username, password));
    });
    const login = async () => {
      const r = await t.call('POST', '/v1/run/tasks', {
        engine: 'skyvern-1.0',
        prompt: 'Sign in to the bank with my saved login.',
        url: `${site.url}/totp/index.html`,
        credential_id: credentialId,
        run_with: 'code',
      });
      return waitForRun(t, (r.body as { run_id: string }).run_id, isTerminalRun, 90_000);
    };
    const first = await login();
    expect(first['failure_reason'] ?? null).toBeNull();
    const script = (await t.call('GET', `/v1/runs/${first['run_id']}/script`)).body as {
      parameters: { name: string; secret: boolean }[];
      source: string;
      steps: Record<string, unknown>[];
    };
    expect(script.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'username', secret: false }),
        expect.objectContaining({ name: 'password', secret: true }),
      ]),
    );
    expect(script.steps.map((s) => s['kind'])).toContain('enter_code');
    const stored = JSON.stringify(script);
    for (const secret of [TOTP_SITE_USER.password, SECRET]) expect(stored).not.toContain(secret);
    expect(script.source).toContain('{{secret:password}}');

    fake.reset();
    totp.received.length = 0;
    fake.setPolicy(() => ({ error: { status: 400, message: 'no model call allowed' } }));
    const replay = await login();
    expect(replay['failure_reason'] ?? null).toBeNull();
    expect(replay['status']).toBe('completed');
    expect((replay['script_run'] as { ai_fallback_triggered: boolean }).ai_fallback_triggered).toBe(
      false,
    );
    expect(fake.requests).toHaveLength(0);
    const signIn = totp.received.find((r) => r.path === '/totp/login');
    expect(signIn?.accepted).toBe(true);
    expect(signIn?.form['password']).toBe(TOTP_SITE_USER.password);
    expect(totp.received.find((r) => r.path === '/totp/verify')?.accepted).toBe(true);
  });

  // Security review finding: a recorded navigation to a URL holding a secret placeholder (a
  // prompt-injected model's `goto …?p={{secret:password}}`) went out unfilled when recorded, but
  // a replay filled the password in and sent it to the URL's host. Replays fill parameters, never
  // secrets, into URLs (docs/code-mode.md, "Replay and self-heal").
  it('never fills a secret into a URL on replay', async () => {
    const created = await t.call('POST', '/v1/credentials', {
      name: 'leaky',
      username: 'leaky-user',
      password: 'S3cr3t-Pa55-leak',
    });
    const credentialId = (created.body as { credential_id: string }).credential_id;
    fake.reset();
    fake.setPolicy((req) => {
      const page = pageOf(req);
      if (roleOf(req) === 'verifier')
        return {
          json: { evidence: 'help', goal_achieved: page.includes('Help center'), missing: '' },
        };
      if (roleOf(req) !== 'actor') return undefined;
      if (page.includes('Help center')) return actorReply([{ type: 'complete', answer: null }]);
      return actorReply([{ type: 'goto', url: `${site.url}/help.html?p={{secret:password}}` }]);
    });
    const visit = async () => {
      const r = await t.call('POST', '/v1/run/tasks', {
        engine: 'skyvern-1.0',
        prompt: 'Open the help center.',
        url: `${site.url}/index.html`,
        credential_id: credentialId,
        run_with: 'code',
      });
      return waitForRun(t, (r.body as { run_id: string }).run_id, isTerminalRun, 90_000);
    };
    const first = await visit();
    expect(first['status']).toBe('completed');
    site.clear();
    fake.reset();
    fake.setPolicy(() => ({ error: { status: 400, message: 'no model call allowed' } }));
    const replay = await visit();
    expect(replay['status']).toBe('completed');
    expect(fake.requests).toHaveLength(0);
    const helpVisits = site.requests().filter((r) => r.path === '/help.html');
    expect(helpVisits.length).toBeGreaterThan(0);
    for (const r of site.requests()) expect(decodeURIComponent(r.url)).not.toContain('S3cr3t');
    expect(helpVisits.map((r) => decodeURIComponent(r.url))).toContain(
      '/help.html?p={{secret:password}}',
    );
  });
});

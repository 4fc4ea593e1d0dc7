/**
 * Browser profiles end to end (docs/profiles.md): a session signs in to the fixture site, a
 * profile is made from it, and a run with that browser_profile_id (fresh context, no session)
 * starts signed in. Once the profile is deleted, a run that was waiting with it starts signed
 * out. Both are judged by what the site saw: the login cookie on the request, or not.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/api/index.js';
import {
  type AgentHarness,
  actorReply,
  pageOf,
  roleOf,
  signInActions,
  startAgentHarness,
  verifierReply,
} from '../support/agent-harness.js';
import type { FakeRequest } from '../support/fake-model/parse.js';
import { LOGIN } from '../support/fixture-server.js';

let h: AgentHarness;
beforeAll(async () => {
  // One run at a time: the last test queues a run behind a held one.
  h = await startAgentHarness('openai/gpt-5-mini', {
    WREN_RECORDING: 'false',
    WREN_MAX_CONCURRENCY: '1',
  });
});
afterAll(async () => h?.close());
beforeEach(() => {
  h.fake.reset();
  h.site.clear();
});

const COOKIE = new RegExp(`${LOGIN.cookie}=\\w+`);

/** Requests for the account page the site received, and whether each carried the login cookie. */
function accountVisits(): boolean[] {
  return h.site
    .requests()
    .filter((r) => r.path === '/account')
    .map((r) => COOKIE.test(String(r.headers.cookie ?? '')));
}

/** Signs in where there is a form; completes on the account page, whatever it says. */
function agent(hold?: Promise<void>) {
  return async (req: FakeRequest) => {
    const page = pageOf(req);
    if (hold && req.text.includes('HOLD')) await hold;
    if (roleOf(req) === 'verifier')
      return verifierReply(
        ['Welcome back', 'Please sign in', 'Saved on this device'].some((t) => page.includes(t)),
      );
    if (roleOf(req) !== 'actor') return undefined;
    if (page.includes('textbox "Username"') && req.text.includes('Sign in'))
      return actorReply(signInActions(page));
    return actorReply([{ type: 'complete', answer: null }]);
  };
}

describe('browser profiles', () => {
  it('a profile made from a signed-in session lets a fresh run start signed in; deleted, it does not', async () => {
    h.fake.setPolicy(agent());
    const created = await h.wren.call('POST', '/v1/browser_sessions', {
      url: `${h.site.url}/login.html`,
    });
    const sessionId = (created.body as { browser_session_id: string }).browser_session_id;
    const signIn = await h.waitForRun(
      await h.submit({
        engine: 'skyvern-1.0',
        prompt: 'Sign in as ada.',
        browser_session_id: sessionId,
      }),
    );
    expect(signIn['status'], String(signIn['failure_reason'])).toBe('completed');

    const made = await h.wren.call('POST', '/v1/browser_profiles', {
      name: 'ada at Acme',
      browser_session_id: sessionId,
    });
    expect(made.status, made.text).toBe(200);
    const profileId = (made.body as { browser_profile_id: string }).browser_profile_id;
    expect(made.body).toMatchObject({ name: 'ada at Acme', source_browser_type: 'chromium' });
    // The profile holds the login cookie, sealed: not readable in the database.
    expect(made.text).not.toMatch(COOKIE);
    await h.wren.call('POST', `/v1/browser_sessions/${sessionId}/close`);

    h.site.clear();
    const withProfile = await h.waitForRun(
      await h.submit({
        engine: 'skyvern-1.0',
        prompt: 'Open my account page.',
        url: `${h.site.url}/account`,
        browser_profile_id: profileId,
      }),
    );
    expect(withProfile['status'], String(withProfile['failure_reason'])).toBe('completed');
    expect(withProfile).toMatchObject({ browser_profile_id: profileId, browser_session_id: null });
    expect(accountVisits()).toEqual([true]);

    // Without the profile the same run starts signed out.
    h.site.clear();
    await h.waitForRun(
      await h.submit({
        engine: 'skyvern-1.0',
        prompt: 'Open my account page.',
        url: `${h.site.url}/account`,
      }),
    );
    expect(accountVisits()).toEqual([false]);

    // Deleted while a run with it waits in the queue: that run starts signed out.
    let release = () => {};
    const hold = new Promise<void>((resolve) => {
      release = resolve;
    });
    h.fake.setPolicy(agent(hold));
    const holder = await h.submit({
      engine: 'skyvern-1.0',
      prompt: 'HOLD the only worker slot.',
      url: `${h.site.url}/index.html`,
    });
    const waiting = await h.submit({
      engine: 'skyvern-1.0',
      prompt: 'Open my account page.',
      url: `${h.site.url}/account`,
      browser_profile_id: profileId,
    });
    expect((await h.wren.call('GET', `/v1/runs/${waiting}`)).body).toMatchObject({
      status: 'queued',
    });
    const deleted = await h.wren.call('DELETE', `/v1/browser_profiles/${profileId}`);
    expect(deleted.status).toBe(204);
    h.site.clear();
    release();
    await h.waitForRun(holder);
    const after = await h.waitForRun(waiting);
    expect(after['status'], String(after['failure_reason'])).toBe('completed');
    expect(accountVisits()).toEqual([false]);

    // A new run cannot name the deleted profile at all.
    const refused = await h.wren.call('POST', '/v1/run/tasks', {
      prompt: 'x',
      browser_profile_id: profileId,
    });
    expect(refused.status).toBe(404);
    expect(refused.body).toEqual({ detail: `Browser profile ${profileId} not found` });
  });

  it("carries a session's localStorage and IndexedDB into a profile and a run started from it", async () => {
    h.fake.setPolicy(agent());
    const created = await h.wren.call('POST', '/v1/browser_sessions', {
      url: `${h.site.url}/storage.html?write=1`,
    });
    const sessionId = (created.body as { browser_session_id: string }).browser_session_id;
    const written = await h.site.waitForSubmission('storage', 30_000);
    expect(written.fields).toEqual({
      local: 'remember the milk',
      idb: 'idb-token-42',
      write: 'yes',
    });
    const made = await h.wren.call('POST', '/v1/browser_profiles', {
      name: 'device storage',
      browser_session_id: sessionId,
    });
    expect(made.status, made.text).toBe(200);
    await h.wren.call('POST', `/v1/browser_sessions/${sessionId}/close`);
    const profileId = (made.body as { browser_profile_id: string }).browser_profile_id;

    h.site.clear();
    const run = await h.waitForRun(
      await h.submit({
        engine: 'skyvern-1.0',
        prompt: 'Look at what is saved on this device.',
        url: `${h.site.url}/storage.html`,
        browser_profile_id: profileId,
      }),
    );
    expect(run['status'], String(run['failure_reason'])).toBe('completed');
    expect(h.site.submissions('storage').map((s) => s.fields)).toEqual([
      { local: 'remember the milk', idb: 'idb-token-42', write: 'no' },
    ]);
  });

  it('a session started from a profile begins signed in and saves back at close; profiles stay in their organization', async () => {
    h.fake.setPolicy(agent());
    const blank = await h.wren.call('POST', '/v1/browser_profiles', { name: 'fresh' });
    const profileId = (blank.body as { browser_profile_id: string }).browser_profile_id;
    const first = await h.wren.call('POST', '/v1/browser_sessions', {
      url: `${h.site.url}/login.html`,
      browser_profile_id: profileId,
    });
    expect(first.body).toMatchObject({ browser_profile_id: profileId });
    const firstId = (first.body as { browser_session_id: string }).browser_session_id;
    const signIn = await h.waitForRun(
      await h.submit({
        engine: 'skyvern-1.0',
        prompt: 'Sign in as ada.',
        browser_session_id: firstId,
      }),
    );
    expect(signIn['status'], String(signIn['failure_reason'])).toBe('completed');
    // Closing saves the signed-in state back into the profile it started from.
    await h.wren.call('POST', `/v1/browser_sessions/${firstId}/close`);

    h.site.clear();
    const second = await h.wren.call('POST', '/v1/browser_sessions', {
      url: `${h.site.url}/account`,
      browser_profile_id: profileId,
    });
    expect(second.status, second.text).toBe(200);
    expect(accountVisits()).toEqual([true]);
    await h.wren.call(
      'POST',
      `/v1/browser_sessions/${(second.body as { browser_session_id: string }).browser_session_id}/close`,
    );

    const unknown = await h.wren.call('POST', '/v1/browser_sessions', {
      browser_profile_id: 'bp_404',
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ detail: 'Browser profile bp_404 not found' });

    // Another organization sees none of it.
    await h.wren.wren.store.apiKeys.createOrganization({
      id: 'o_profiles_other',
      name: 'Other',
      createdAt: new Date().toISOString(),
    });
    const other = { 'x-api-key': await createApiKey(h.wren.wren.store, 'o_profiles_other', 't') };
    expect((await h.wren.call('GET', '/v1/browser_profiles', undefined, other)).body).toEqual([]);
    for (const [method, path] of [
      ['GET', `/v1/browser_profiles/${profileId}`],
      ['PATCH', `/v1/browser_profiles/${profileId}`],
      ['DELETE', `/v1/browser_profiles/${profileId}`],
    ] as const) {
      const res = await h.wren.call(
        method,
        path,
        method === 'PATCH' ? { name: 'x' } : undefined,
        other,
      );
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const foreignRun = await h.wren.call(
      'POST',
      '/v1/run/tasks',
      { prompt: 'x', browser_profile_id: profileId },
      other,
    );
    expect(foreignRun.status).toBe(404);
  });
});

import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApiKey } from '../../src/api/index.js';
import {
  type AgentHarness,
  actorReply,
  idOf,
  pageOf,
  roleOf,
  signInActions,
  startAgentHarness,
  verifierReply,
} from '../support/agent-harness.js';
import { LOGIN } from '../support/fixture-server.js';
import { until } from '../support/wait.js';

// One session "minute" lasts 400 ms here, so a 5-minute session is reaped after 2 s.
const MINUTE_MS = 400;

let h: AgentHarness;
beforeAll(async () => {
  // No video: encoding it dominates a run's end on a busy machine, and recording has its own tests.
  h = await startAgentHarness('openai/gpt-5-mini', {
    WREN_SESSION_MINUTE_MS: String(MINUTE_MS),
    WREN_RECORDING: 'false',
  });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.fake.reset();
  h.site.clear();
});

type Session = Record<string, unknown>;

/**
 * The page targets a plain CDP client sees at `address`: the browser-level WebSocket endpoint
 * Puppeteer's `connect({browserWSEndpoint})` speaks to, asked with Target.getTargets.
 */
async function cdpPageUrls(address: string): Promise<string[]> {
  const ws = new WebSocket(address);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const reply = await new Promise<{ result?: { targetInfos: { type: string; url: string }[] } }>(
      (resolve, reject) => {
        ws.on('message', (data) => {
          const msg = JSON.parse(String(data)) as { id?: number };
          if (msg.id === 1) resolve(msg as never);
        });
        ws.once('error', reject);
        ws.send(JSON.stringify({ id: 1, method: 'Target.getTargets' }));
      },
    );
    return (reply.result?.targetInfos ?? []).filter((t) => t.type === 'page').map((t) => t.url);
  } finally {
    ws.close();
  }
}

async function createSession(body: unknown): Promise<Session> {
  const r = await h.wren.call('POST', '/v1/browser_sessions', body);
  expect(r.status, r.text).toBe(200);
  return r.body as Session;
}

describe('browser sessions', () => {
  it('keeps the page and the login cookie across two runs, then closes', async () => {
    const session = await createSession({ url: `${h.site.url}/login.html`, timeout: 240 });
    const id = String(session['browser_session_id']);
    expect(id).toMatch(/^pbs_\d+$/);
    expect(session['status']).toBe('running');
    expect(session['timeout']).toBe(240);
    // The gateway's address with the session's token, never Chromium's own DevTools port.
    expect(String(session['browser_address'])).toMatch(
      new RegExp(`^ws://127\\.0\\.0\\.1:\\d+/browser_sessions/${id}/[\\w-]{32}$`),
    );

    const firstPages: Record<string, string> = {};
    h.fake.setPolicy((req) => {
      const page = pageOf(req);
      const run = req.text.includes('orders') ? 'second' : 'first';
      switch (roleOf(req)) {
        case 'verifier': {
          const done =
            run === 'first' ? page.includes('Welcome back') : page.includes('Orders of ada');
          return verifierReply(done);
        }
        case 'actor':
          firstPages[run] ??= page;
          if (page.includes('textbox "Username"')) {
            return actorReply(signInActions(page));
          }
          if (page.includes('link "Your orders"') && run === 'second') {
            return actorReply([{ type: 'click', id: idOf(page, 'link "Your orders"') }]);
          }
          return actorReply([{ type: 'complete', answer: null }]);
        default:
          return undefined;
      }
    });

    const first = await h.waitForRun(
      await h.submit({ engine: 'skyvern-1.0', prompt: 'Sign in as ada.', browser_session_id: id }),
    );
    expect(first['status'], String(first['failure_reason'])).toBe('completed');
    expect(firstPages['first']).toContain('textbox "Username"');

    const second = await h.waitForRun(
      await h.submit({
        engine: 'skyvern-1.0',
        prompt: 'Open my orders.',
        browser_session_id: id,
      }),
    );
    expect(second['status'], String(second['failure_reason'])).toBe('completed');
    // The second run started where the first ended, already signed in.
    expect(firstPages['second']).toContain('Welcome back, ada');
    const orders = h.site.requests().find((r) => r.path === '/account/orders');
    expect(orders?.headers.cookie).toMatch(new RegExp(`${LOGIN.cookie}=\\w+`));

    // The session's CDP address serves the same live browser to an outside client.
    const outside = await chromium.connectOverCDP(String(session['browser_address']));
    const urls =
      outside
        .contexts()[0]
        ?.pages()
        .map((p) => p.url()) ?? [];
    expect(urls).toContain(`${h.site.url}/account/orders`);
    await outside.close();
    // And to a bare CDP client (what Puppeteer's connect({browserWSEndpoint}) uses).
    expect(await cdpPageUrls(String(session['browser_address']))).toContain(
      `${h.site.url}/account/orders`,
    );

    const listed = await h.wren.call('GET', '/v1/browser_sessions');
    expect((listed.body as Session[]).map((s) => s['browser_session_id'])).toContain(id);

    const closed = await h.wren.call('POST', `/v1/browser_sessions/${id}/close`);
    expect(closed.status).toBe(200);
    expect(closed.body).toEqual({ message: 'Browser session closed' });
    const after = (await h.wren.call('GET', `/v1/browser_sessions/${id}`)).body as Session;
    expect(after['status']).toBe('completed');
    expect(after['completed_at']).toEqual(expect.any(String));
    expect(after['browser_address']).toBeNull();
    const relisted = await h.wren.call('GET', '/v1/browser_sessions');
    expect((relisted.body as Session[]).map((s) => s['browser_session_id'])).not.toContain(id);
    const reuse = await h.wren.call('POST', '/v1/run/tasks', {
      prompt: 'x',
      browser_session_id: id,
    });
    expect(reuse.status).toBe(409);
    expect((reuse.body as { detail: string }).detail).toContain(id);
  });

  it('shares the browser with Puppeteer: what it does there, the next run sees, and the browser stays usable', {
    timeout: 300_000,
  }, async () => {
    const session = await createSession({ url: `${h.site.url}/login.html`, timeout: 240 });
    const id = String(session['browser_session_id']);
    const address = String(session['browser_address']);

    // Puppeteer attaches to browser_address, finds the page the session opened and signs in.
    const outside = await puppeteer.connect({ browserWSEndpoint: address, defaultViewport: null });
    const pages = await outside.pages();
    const page = pages.find((p) => p.url() === `${h.site.url}/login.html`);
    expect(page, pages.map((p) => p.url()).join(', ')).toBeDefined();
    if (!page) return;
    expect(await page.$eval('h1', (e) => e.textContent)).toBe('Sign in to Acme');
    await page.type('#user', LOGIN.user);
    await page.type('#pass', LOGIN.pass);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(page.url()).toBe(`${h.site.url}/account`);
    // State only Puppeteer could have left: a line in the page and a localStorage entry.
    await page.evaluate(() => {
      const note = document.createElement('p');
      note.textContent = 'Left by Puppeteer: 7 apples';
      document.body.append(note);
      localStorage.setItem('left-by', 'puppeteer');
    });
    await outside.disconnect();

    const seen: string[] = [];
    h.fake.setPolicy((req) => {
      const page = pageOf(req);
      if (roleOf(req) === 'verifier') {
        return verifierReply(page.includes('Orders of ada'));
      }
      if (roleOf(req) !== 'actor') return undefined;
      seen.push(page);
      if (page.includes('link "Your orders"'))
        return actorReply([{ type: 'click', id: idOf(page, 'link "Your orders"') }]);
      return actorReply([{ type: 'complete', answer: null }]);
    });
    h.site.clear();
    const run = await h.waitForRun(
      await h.submit({ engine: 'skyvern-1.0', prompt: 'Open my orders.', browser_session_id: id }),
    );
    expect(run['status'], String(run['failure_reason'])).toBe('completed');
    // The run started on the page Puppeteer left: signed in, with Puppeteer's line in it.
    expect(seen[0]).toContain('Welcome back, ada');
    expect(seen[0]).toContain('Left by Puppeteer: 7 apples');
    // The browser still worked for Wren after Puppeteer went away: the run navigated, signed in.
    const orders = h.site.requests().find((r) => r.path === '/account/orders');
    expect(orders?.headers.cookie).toMatch(new RegExp(`${LOGIN.cookie}=\\w+`));
    expect(seen.at(-1)).toContain('Orders of ada');

    // Puppeteer again (a new connection through the gateway): it sees where the run ended, and
    // the localStorage entry it left is still there. (Not by browserURL: Puppeteer asks
    // /json/version at the root and drops the token in the path; docs/sessions.md.)
    const again = await puppeteer.connect({
      browserWSEndpoint: address,
      defaultViewport: null,
    });
    const after = (await again.pages()).find((p) => p.url() === `${h.site.url}/account/orders`);
    expect(after).toBeDefined();
    expect(await after?.evaluate(() => localStorage.getItem('left-by'))).toBe('puppeteer');
    await again.disconnect();
    expect((await h.wren.call('GET', `/v1/browser_sessions/${id}`)).body).toMatchObject({
      status: 'running',
    });
    await h.wren.call('POST', `/v1/browser_sessions/${id}/close`);
  });

  it('carries tabs, localStorage and unsent form state from run to run', {
    timeout: 300_000,
  }, async () => {
    const session = await createSession({ url: `${h.site.url}/notes.html`, timeout: 240 });
    const id = String(session['browser_session_id']);
    const firstPages: Record<string, string> = {};
    h.fake.setPolicy((req) => {
      if (roleOf(req) === 'verifier')
        return { json: { evidence: 'checked', goal_achieved: true, missing: '' } };
      if (roleOf(req) !== 'actor') return undefined;
      const page = pageOf(req);
      const run = req.text.includes('RUN-ONE')
        ? 'one'
        : req.text.includes('RUN-TWO')
          ? 'two'
          : 'three';
      firstPages[run] ??= page;
      if (run === 'one') {
        if (!page.includes('value="milk and eggs"'))
          return actorReply([
            {
              type: 'input_text',
              id: idOf(page, 'textbox "Note"'),
              text: 'milk and eggs',
              submit: false,
            },
          ]);
        if (!page.includes('Note saved'))
          return actorReply([{ type: 'click', id: idOf(page, 'button "Save note"') }]);
        if (!page.includes('value="half-written reply"'))
          return actorReply([
            {
              type: 'input_text',
              id: idOf(page, 'textbox "Draft reply"'),
              text: 'half-written reply',
              submit: false,
            },
          ]);
        return actorReply([{ type: 'complete', answer: null }]);
      }
      if (run === 'two') {
        if (page.includes('Saved note: milk and eggs'))
          return actorReply([{ type: 'complete', answer: null }]);
        if (page.includes('Draft sent'))
          return actorReply([
            { type: 'click', id: idOf(page, 'link "Open saved note in a new tab"') },
          ]);
        return actorReply([{ type: 'click', id: idOf(page, 'button "Send draft"') }]);
      }
      return actorReply([{ type: 'complete', answer: null }]);
    });
    const done = async (prompt: string) => {
      const run = await h.waitForRun(
        await h.submit({ engine: 'skyvern-1.0', prompt, browser_session_id: id }),
      );
      expect(run['status'], String(run['failure_reason'])).toBe('completed');
    };

    await done('RUN-ONE: save the note "milk and eggs" and start a draft reply.');
    await done('RUN-TWO: send the draft, then open the saved note in a new tab.');
    // Form state: the second run found the draft the first typed and sent it from the same page.
    expect(firstPages['two']).toContain('half-written reply');
    expect((await h.site.waitForSubmission('draft')).fields).toEqual({
      draft: 'half-written reply',
    });
    // localStorage: the tab the second run opened read the note the first run saved.
    expect((await h.site.waitForSubmission('saved-note')).fields).toEqual({
      note: 'milk and eggs',
    });

    await done('RUN-THREE: read the saved note.');
    // Tabs: the third run starts on the newest of the two tabs the session now has.
    expect(firstPages['three']).toContain('Saved note: milk and eggs');
    expect(firstPages['three']).toMatch(/Tabs: .*,.*\*1/);
    // notes.html was loaded twice (session start and the new tab): no run reloaded the page.
    expect(h.site.requests().filter((r) => r.path === '/notes.html')).toHaveLength(2);
    expect((await cdpPageUrls(String(session['browser_address']))).sort()).toEqual([
      `${h.site.url}/notes.html`,
      `${h.site.url}/notes.html?view=saved`,
    ]);
    await h.wren.call('POST', `/v1/browser_sessions/${id}/close`);
  });

  it('queues a second run behind the one holding the session', async () => {
    const session = await createSession({ url: `${h.site.url}/geo.html`, timeout: 240 });
    const id = String(session['browser_session_id']);
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const actorPrompts: string[] = [];
    h.fake.setPolicy(async (req) => {
      if (roleOf(req) === 'verifier')
        return { json: { evidence: 'ok', goal_achieved: true, missing: '' } };
      if (roleOf(req) !== 'actor') return undefined;
      const which = req.text.includes('FIRST') ? 'first' : 'second';
      actorPrompts.push(which);
      if (which === 'first') await gate;
      return actorReply([{ type: 'complete', answer: null }]);
    });
    const first = await h.submit({
      engine: 'skyvern-1.0',
      prompt: 'FIRST look',
      browser_session_id: id,
    });
    const second = await h.submit({
      engine: 'skyvern-1.0',
      prompt: 'SECOND look',
      browser_session_id: id,
    });
    // While the first run holds the session, the second one waits and the session names the holder.
    await until('the first run to ask the model', () => actorPrompts.length > 0);
    const held = (await h.wren.call('GET', `/v1/browser_sessions/${id}`)).body as Session;
    expect(held['runnable_id']).toBe(first);
    expect(held['runnable_type']).toBe('task_v1');
    expect(actorPrompts).toEqual(['first']);
    open();
    expect((await h.waitForRun(first))['status']).toBe('completed');
    expect((await h.waitForRun(second))['status']).toBe('completed');
    expect(actorPrompts.filter((p) => p === 'second').length).toBeGreaterThan(0);
    expect(actorPrompts.indexOf('second')).toBeGreaterThan(actorPrompts.lastIndexOf('first'));
    const free = (await h.wren.call('GET', `/v1/browser_sessions/${id}`)).body as Session;
    expect(free['runnable_id']).toBeNull();
    await h.wren.call('POST', `/v1/browser_sessions/${id}/close`);
  });

  it('fails a run still waiting for a session that gets closed', async () => {
    const session = await createSession({ timeout: 240 });
    const id = String(session['browser_session_id']);
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    h.fake.setPolicy(async (req) => {
      if (roleOf(req) !== 'actor')
        return { json: { evidence: '', goal_achieved: true, missing: '' } };
      await gate;
      return actorReply([{ type: 'complete', answer: null }]);
    });
    const first = await h.submit({ engine: 'skyvern-1.0', prompt: 'hold', browser_session_id: id });
    const second = await h.submit({
      engine: 'skyvern-1.0',
      prompt: 'wait',
      browser_session_id: id,
    });
    await until('the second run waiting for the session the first holds', async () => {
      const s2 = (await h.wren.call('GET', `/v1/runs/${second}`)).body as Session;
      const held = (await h.wren.call('GET', `/v1/browser_sessions/${id}`)).body as Session;
      return s2['status'] === 'running' && held['runnable_id'] === first;
    });
    expect((await h.wren.call('POST', `/v1/browser_sessions/${id}/close`)).status).toBe(200);
    const waited = await h.waitForRun(second);
    expect(waited['status']).toBe('failed');
    expect(String(waited['failure_reason'])).toContain(`browser session ${id} ended`);
    open();
    expect((await h.waitForRun(first))['status']).not.toBe('running');
  });

  it('reaps a session at its timeout', async () => {
    const session = await createSession({ timeout: 5 });
    const id = String(session['browser_session_id']);
    const started = Date.now();
    await expect
      .poll(
        async () =>
          ((await h.wren.call('GET', `/v1/browser_sessions/${id}`)).body as Session)['status'],
        { timeout: 30_000, interval: 100 },
      )
      .toBe('timeout');
    // Not before its timeout (a lower bound: a busy machine only makes it later).
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 * MINUTE_MS - 200);
  });

  it('validates the timeout, caps it with a warning, and isolates organizations', async () => {
    const low = await h.wren.call('POST', '/v1/browser_sessions', { timeout: 4 });
    expect(low.status).toBe(422);
    expect(low.text).toContain('at least 5');
    for (const timeout of [0, -5, 5.5]) {
      const bad = await h.wren.call('POST', '/v1/browser_sessions', { timeout });
      expect(bad.status, String(timeout)).toBe(422);
      expect(bad.text).toContain('timeout');
    }
    // No timeout (or an empty body): 60 minutes from the moment the browser is up.
    const plain = await h.wren.call('POST', '/v1/browser_sessions');
    expect(plain.status, plain.text).toBe(200);
    const dflt = plain.body as Session;
    expect(dflt['timeout']).toBe(60);
    expect(dflt['warning']).toBeUndefined();
    expect(Date.parse(String(dflt['expires_at'])) - Date.parse(String(dflt['started_at']))).toBe(
      60 * MINUTE_MS,
    );
    await h.wren.call('POST', `/v1/browser_sessions/${String(dflt['browser_session_id'])}/close`);
    // Skyvern's range is 5–1440 minutes; above the server maximum (default 1440) it is capped.
    const high = await createSession({ timeout: 1500 });
    expect(high['timeout']).toBe(1440);
    expect(String(high['warning'])).toContain('capped to 1440');
    // PATCH moves the end: here shortened to 5 minutes from the start, so the session ends.
    const hid0 = String(high['browser_session_id']);
    const longer = await h.wren.call('PATCH', `/v1/browser_sessions/${hid0}`, { timeout: 600 });
    expect(longer.status, longer.text).toBe(200);
    expect(longer.body).toMatchObject({ timeout: 600, status: 'running' });
    const patched = longer.body as Session;
    expect(
      Date.parse(String(patched['expires_at'])) - Date.parse(String(patched['started_at'])),
    ).toBe(600 * MINUTE_MS);
    const bad = await h.wren.call('PATCH', `/v1/browser_sessions/${hid0}`, {});
    expect(bad.status).toBe(422);
    const shorter = await h.wren.call('PATCH', `/v1/browser_sessions/${hid0}`, { timeout: 5 });
    expect(shorter.status, shorter.text).toBe(200);
    await expect
      .poll(
        async () =>
          ((await h.wren.call('GET', `/v1/browser_sessions/${hid0}`)).body as Session)['status'],
        { timeout: 15_000 },
      )
      .toBe('timeout');
    const late = await h.wren.call('PATCH', `/v1/browser_sessions/${hid0}`, { timeout: 60 });
    expect(late.status).toBe(409);
    const again = await createSession({ timeout: 240 });
    const badUrl = await h.wren.call('POST', '/v1/browser_sessions', { url: 'ftp://x' });
    expect(badUrl.status).toBe(422);
    expect(badUrl.text).toContain('url must be an http or https URL');
    const missing = await h.wren.call('GET', '/v1/browser_sessions/pbs_123');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ detail: 'Browser session pbs_123 not found' });
    // Another organization sees neither the session nor can it run in it.
    await h.wren.wren.store.apiKeys.createOrganization({
      id: 'o_other',
      name: 'Other',
      createdAt: new Date().toISOString(),
    });
    const otherKey = { 'x-api-key': await createApiKey(h.wren.wren.store, 'o_other', 'test') };
    const hid = String(again['browser_session_id']);
    expect(
      (await h.wren.call('GET', `/v1/browser_sessions/${hid}`, undefined, otherKey)).status,
    ).toBe(404);
    expect((await h.wren.call('GET', '/v1/browser_sessions', undefined, otherKey)).body).toEqual(
      [],
    );
    expect(
      (await h.wren.call('POST', `/v1/browser_sessions/${hid}/close`, undefined, otherKey)).status,
    ).toBe(404);
    const foreignRun = await h.wren.call(
      'POST',
      '/v1/run/tasks',
      { prompt: 'x', browser_session_id: hid },
      otherKey,
    );
    expect(foreignRun.status).toBe(404);
    expect(
      ((await h.wren.call('GET', `/v1/browser_sessions/${hid}`)).body as Session)['status'],
    ).toBe('running');
    const noKey = await h.wren.call('GET', `/v1/browser_sessions/${hid}`, undefined, {
      'x-api-key': 'wrong',
    });
    expect(noKey.status).toBe(403);
    const unknownRun = await h.wren.call('POST', '/v1/run/tasks', {
      prompt: 'x',
      browser_session_id: 'pbs_1',
    });
    expect(unknownRun.status).toBe(404);
    await h.wren.call('POST', `/v1/browser_sessions/${hid}/close`);
  });
});

/**
 * The browser sessions quota (docs/security.md, "Quotas"): real sessions with real Chromium. Most
 * cases use small limits (a server default of 2 via WREN_ORG_MAX_BROWSER_SESSIONS and a per-org
 * override of 1) to keep the browser count low; one case holds eight sessions at the built-in
 * default of 8 (issue 17's Accept: the ninth gets 429), opened one after another so two cores
 * keep up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestWren, type TestWren } from '../support/wren.js';

let t: TestWren;
type Json = Record<string, unknown>;

beforeAll(async () => {
  t = await startTestWren({
    config: { workerEnabled: false },
    env: { WREN_ORG_MAX_BROWSER_SESSIONS: '2' },
  });
});
afterAll(async () => t?.close());

const open = (headers?: Record<string, string>) =>
  t.call('POST', '/v1/browser_sessions', { timeout: 5 }, headers);

describe('max_browser_sessions', () => {
  it('answers 429 naming the limit once the organization has that many sessions', async () => {
    const first = await open();
    const second = await open();
    expect([first.status, second.status], first.text + second.text).toEqual([200, 200]);
    const third = await open();
    expect(third.status).toBe(429);
    expect(third.body).toEqual({
      detail:
        'Quota exceeded: max_browser_sessions is 2 for this organization and it has 2 active ' +
        'browser sessions. Close one (POST /v1/browser_sessions/{browser_session_id}/close), or ' +
        "ask the operator to raise the limit (WREN_ORG_MAX_BROWSER_SESSIONS, or the organization's max_browser_sessions).",
    });
    // The refused session was never stored.
    const listed = (await t.call('GET', '/v1/browser_sessions')).body as Json[];
    expect(listed).toHaveLength(2);

    // Closing one frees its place.
    const id = String((first.body as Json)['browser_session_id']);
    expect((await t.call('POST', `/v1/browser_sessions/${id}/close`)).status).toBe(200);
    const again = await open();
    expect(again.status).toBe(200);
    for (const s of [second, again])
      await t.call(
        'POST',
        `/v1/browser_sessions/${String((s.body as Json)['browser_session_id'])}/close`,
      );
  });

  it("uses an organization's own override, and one organization's sessions do not count for another", async () => {
    const created = await t.call('POST', '/v1/organizations', {
      name: 'one-session',
      max_browser_sessions: 1,
    });
    const key = String(((created.body as Json)['api_key'] as Json)['api_key']);
    const mine = await open({ 'x-api-key': key });
    expect(mine.status).toBe(200);
    const refused = await open({ 'x-api-key': key });
    expect(refused.status).toBe(429);
    expect(String((refused.body as Json)['detail'])).toContain('max_browser_sessions is 1');
    // The default organization still has its own two.
    const other = await open();
    expect(other.status).toBe(200);
    await t.call(
      'POST',
      `/v1/browser_sessions/${String((mine.body as Json)['browser_session_id'])}/close`,
      undefined,
      { 'x-api-key': key },
    );
    await t.call(
      'POST',
      `/v1/browser_sessions/${String((other.body as Json)['browser_session_id'])}/close`,
    );
  });
});

describe('max_browser_sessions at the built-in default', () => {
  it('refuses a 9th session over the default quota of 8 with a 429 naming the limit', async () => {
    // No WREN_ORG_MAX_BROWSER_SESSIONS: the built-in default applies.
    const d = await startTestWren({ config: { workerEnabled: false } });
    const ids: string[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const r = await d.call('POST', '/v1/browser_sessions', { timeout: 5 });
        expect(r.status, r.text).toBe(200);
        ids.push(String((r.body as Json)['browser_session_id']));
      }
      const ninth = await d.call('POST', '/v1/browser_sessions', { timeout: 5 });
      expect(ninth.status).toBe(429);
      expect(String((ninth.body as Json)['detail'])).toMatch(
        /^Quota exceeded: max_browser_sessions is 8 for this organization and it has 8 active browser sessions\./,
      );
      const listed = (await d.call('GET', '/v1/browser_sessions')).body as Json[];
      expect(listed.map((s) => s['browser_session_id']).sort()).toEqual([...ids].sort());
    } finally {
      for (const id of ids) await d.call('POST', `/v1/browser_sessions/${id}/close`);
      await d.close();
    }
  }, 180_000);
});

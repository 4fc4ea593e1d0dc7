/**
 * The browser sessions quota (docs/security.md, "Quotas"): real sessions with real Chromium, so
 * the limits are small (a server default of 2 via WREN_ORG_MAX_BROWSER_SESSIONS and a per-org
 * override of 1) to keep the browser count low; the rule is the same at the default of 8.
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

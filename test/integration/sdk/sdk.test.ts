import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineRegistry } from '../../../src/engines/registry.js';
import { Wren, WrenApiError } from '../../../src/sdk/index.js';
import { engineFrom, untilAborted } from '../../support/engines.js';
import { startTestWren, type TestWren } from '../../support/wren.js';
import { expectedSignature, type Receiver, startReceiver } from '../webhooks/receiver.js';

const SHOT = Buffer.from('pretend png bytes for the sdk test');
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** 'skyvern-2.0' (the default engine) finishes with an artifact; 'skyvern-1.0' waits for cancel. */
function engines() {
  return new EngineRegistry()
    .register(
      engineFrom('skyvern-2.0', async (ctx) => {
        ctx.emit({ type: 'step_started', stepIndex: 0 });
        await ctx.artifacts?.put({
          type: 'screenshot_action',
          stepId: 'step_0',
          contentType: 'image/png',
          bytes: SHOT,
        });
        ctx.emit({ type: 'step_finished', stepIndex: 0, summary: 'done' });
        return {
          outcome: { status: 'completed', output: { answer: ctx.task.prompt.toUpperCase() } },
          errors: [],
          stepCount: 1,
          usage: { inputTokens: 3, outputTokens: 1, costUsd: 0 },
        };
      }),
      { requiresModel: false },
    )
    .register(
      engineFrom('skyvern-1.0', async (ctx) => {
        await untilAborted(ctx.signal);
        return {
          outcome: { status: 'failed', failureReason: 'aborted' },
          errors: [],
          stepCount: 0,
          usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
        };
      }),
      { requiresModel: false },
    );
}

/** The same checks against either mode. */
async function exercise(wren: Wren, hook: Receiver, signingKey: () => string) {
  const run = await wren.runTask({
    prompt: 'say hi',
    webhook_url: hook.url,
    wait_for_completion: true,
    timeout: 20,
    poll_interval: 0.05,
  });
  expect(run).toMatchObject({
    status: 'completed',
    output: { answer: 'SAY HI' },
    step_count: 1,
    run_type: 'task_v2',
  });
  expect(run.screenshot_urls).toHaveLength(1);
  expect((await wren.getRun(run.run_id)).status).toBe('completed');
  expect((await wren.listRuns({ page_size: 50 })).map((r) => r.run_id)).toContain(run.run_id);

  const artifacts = await wren.getRunArtifacts(run.run_id, {
    artifact_type: ['screenshot_action'],
  });
  expect(artifacts).toHaveLength(1);
  expect(artifacts[0]).toMatchObject({ checksum: sha256(SHOT), file_size: SHOT.length });
  const bytes = await wren.getArtifactContent(artifacts[0]!.artifact_id);
  expect(Buffer.from(bytes).equals(SHOT)).toBe(true);
  const part = await wren.getArtifactContent(artifacts[0]!.artifact_id, {
    range: { start: 0, end: 6 },
  });
  expect(Buffer.from(part).toString()).toBe('pretend');
  expect(await wren.getRunArtifacts(run.run_id, { artifact_type: ['recording'] })).toEqual([]);

  // The automatic webhook, signed with the key that created the run.
  const [got] = await hook.waitFor(1);
  expect(got!.headers['x-skyvern-signature']).toBe(expectedSignature(got!.raw, signingKey()));
  const replay = await wren.retryRunWebhook(run.run_id);
  expect(replay).toMatchObject({
    run_id: run.run_id,
    status_code: 200,
    target_webhook_url: hook.url,
  });
  expect(JSON.parse(replay.payload)).toMatchObject({ run_id: run.run_id, status: 'completed' });
  const log = await wren.getRunWebhookDeliveries(run.run_id);
  expect(log.deliveries).toMatchObject([{ state: 'delivered' }]);
  expect(log.attempts.map((a) => a.kind)).toEqual(['automatic', 'replay']);

  // The run's timeline.
  const timeline = await wren.getRunTimeline(run.run_id);
  expect(timeline.map((e) => e.type)).toEqual(['block']);

  // Credentials: stored, listed, read back without the password, deleted.
  const cred = await wren.createCredential({ username: 'ada', password: 'sdk-pass-9c2e' });
  expect(cred).toMatchObject({
    name: 'ada',
    credential_type: 'password',
    credential: { username: 'ada', totp_type: 'none' },
  });
  expect(JSON.stringify(cred)).not.toContain('sdk-pass-9c2e');
  expect((await wren.getCredentials()).map((c) => c.credential_id)).toContain(cred.credential_id);
  expect((await wren.getCredential(cred.credential_id)).credential).toMatchObject({
    username: 'ada',
  });
  await wren.deleteCredential(cred.credential_id);
  const gone = await wren.getCredential(cred.credential_id).catch((e: unknown) => e);
  expect((gone as WrenApiError).status).toBe(404);
  const noPassword = await wren.createCredential({ username: 'x' }).catch((e: unknown) => e);
  expect((noPassword as WrenApiError).status).toBe(422);
  expect(JSON.stringify((noPassword as WrenApiError).detail)).toContain('password');

  // Cards and secrets in Skyvern's shape; update keeps the id; delete is Skyvern's POST route.
  const card = await wren.createCredential({
    name: 'card',
    credential_type: 'credit_card',
    credential: {
      card_number: '5555555555554444',
      card_cvv: '321',
      card_exp_month: '01',
      card_exp_year: '2032',
      card_brand: 'Mastercard',
      card_holder_name: 'Ada',
    },
  });
  expect(card.credential).toEqual({ last_four: '4444', brand: 'Mastercard' });
  const secret = await wren.createCredential({
    name: 'token',
    credential_type: 'secret',
    credential: { secret_value: 'sdk-secret-1', secret_label: 'token' },
  });
  const rotated = await wren.updateCredential(secret.credential_id, {
    name: 'token v2',
    credential_type: 'secret',
    credential: { secret_value: 'sdk-secret-2', secret_label: 'token v2' },
  });
  expect(rotated).toMatchObject({
    credential_id: secret.credential_id,
    name: 'token v2',
    credential: { secret_label: 'token v2' },
  });
  expect(JSON.stringify(rotated)).not.toContain('sdk-secret-2');
  expect(
    (await wren.getCredentials({ credential_type: 'credit_card' })).map((c) => c.credential_id),
  ).toEqual([card.credential_id]);
  await wren.deleteCredential(card.credential_id);
  await wren.deleteCredential(secret.credential_id);
  expect(await wren.getCredentials()).toEqual([]);

  // Pushed codes.
  const pushed = await wren.sendTotpCode({
    totp_identifier: 'ada@example.com',
    content: 'Your sign-in code is 482913.',
  });
  expect(pushed).toMatchObject({ code: '482913', totp_identifier: 'ada@example.com' });
  const codes = await wren.getTotpCodes({ totp_identifier: 'ada@example.com' });
  expect(codes.map((c) => c.totp_code_id)).toEqual([pushed.totp_code_id]);

  // A browser session: started, listed, closed.
  const session = await wren.createBrowserSession({ timeout: 5 });
  expect(session.status).toBe('running');
  expect(session.browser_address).toMatch(/^ws:\/\//);
  expect((await wren.getBrowserSessions()).map((x) => x.browser_session_id)).toContain(
    session.browser_session_id,
  );
  const patched = await wren.updateBrowserSession(session.browser_session_id, {
    generate_browser_profile: true,
    timeout: 30,
  });
  expect(patched).toMatchObject({ generate_browser_profile: true, timeout: 30 });
  // Browser profiles: from the live session, listed, renamed, deleted.
  const profile = await wren.createBrowserProfile({
    name: 'sdk profile',
    browser_session_id: session.browser_session_id,
  });
  expect(profile).toMatchObject({ name: 'sdk profile', source_browser_type: 'chromium' });
  expect((await wren.listBrowserProfiles()).map((p) => p.browser_profile_id)).toEqual([
    profile.browser_profile_id,
  ]);
  expect(
    (await wren.updateBrowserProfile(profile.browser_profile_id, { name: 'renamed' })).name,
  ).toBe('renamed');
  expect((await wren.getBrowserProfile(profile.browser_profile_id)).name).toBe('renamed');
  await wren.deleteBrowserProfile(profile.browser_profile_id);
  const noProfile = await wren
    .getBrowserProfile(profile.browser_profile_id)
    .catch((e: unknown) => e);
  expect((noProfile as WrenApiError).status).toBe(404);
  expect(
    (await wren.listBrowserProfiles({ include_deleted: true })).map((p) => p.deleted_at),
  ).toEqual([expect.any(String)]);
  await wren.closeBrowserSession(session.browser_session_id);
  const closed = await wren.getBrowserSession(session.browser_session_id);
  expect(closed.status).not.toBe('running');
  expect(closed.browser_address).toBeNull();

  // Cancel, errors and the wait timeout.
  const slow = await wren.runTask({ prompt: 'wait', engine: 'skyvern-1.0' });
  await expect(
    wren.runTask({
      prompt: 'wait',
      engine: 'skyvern-1.0',
      wait_for_completion: true,
      timeout: 0.3,
      poll_interval: 0.05,
    }),
  ).rejects.toThrow(/Timeout waiting for run/);
  const bulk = await wren.bulkCancelRuns({ run_ids: [slow.run_id, 'tsk_404'] });
  expect(bulk).toEqual({ cancelled: [slow.run_id], failed: ['tsk_404'] });
  expect((await wren.getRun(slow.run_id)).status).toBe('canceled');
  expect(await wren.getVersion()).toMatchObject({ server: 'wren', version: expect.any(String) });
  const slower = await wren.runTask({ prompt: 'wait too', engine: 'skyvern-1.0' });
  await wren.cancelRun(slower.run_id);
  expect((await wren.getRun(slower.run_id)).status).toBe('canceled');
  const missing = await wren.getRun('tsk_404').catch((e: unknown) => e);
  expect(missing).toBeInstanceOf(WrenApiError);
  expect((missing as WrenApiError).status).toBe(404);
  const invalid = await wren
    .runTask({ prompt: 'x', engine: 'nope' as never })
    .catch((e: unknown) => e);
  expect((invalid as WrenApiError).status).toBe(422);
  return { run, artifacts };
}

describe('SDK against a running server', () => {
  let t: TestWren;
  let hook: Receiver;
  beforeAll(async () => {
    t = await startTestWren({ engines: engines(), webhooks: { pollIntervalMs: 50 } });
    hook = await startReceiver();
  });
  afterAll(async () => {
    await hook?.close();
    await t?.close();
  });

  it('has a typed method for every endpoint (runs, results, credentials, sessions, profiles), and runTask waits for completion', async () => {
    const wren = new Wren({ baseUrl: t.url, apiKey: t.apiKey });
    expect(wren.embedded).toBe(false);
    const { artifacts } = await exercise(wren, hook, () => t.apiKey);
    expect(artifacts[0]!.signed_url?.startsWith(`${t.url}/v1/artifacts/`)).toBe(true);
    const bad = new Wren({ baseUrl: t.url, apiKey: 'nope' });
    expect(((await bad.getRun('x').catch((e: unknown) => e)) as WrenApiError).status).toBe(403);
    expect(() => new Wren({ baseUrl: t.url })).toThrow(/apiKey/);
  });
});

describe('SDK embedded (no server)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wren-sdk-embedded-'));
  let hook: Receiver;
  let wren: Wren;
  beforeAll(async () => {
    hook = await startReceiver();
    wren = new Wren({ dataDir, engines: engines() });
  });
  afterAll(async () => {
    await wren?.close();
    await hook?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs tasks in-process with the same methods and results', async () => {
    expect(wren.embedded).toBe(true);
    // First start generated a key into the data dir; webhooks are signed with it.
    const { artifacts } = await exercise(wren, hook, () =>
      readFileSync(join(dataDir, 'api-key'), 'utf8').trim(),
    );
    // No HTTP server: artifact links point at the local files.
    const link = artifacts[0]!.signed_url!;
    expect(link.startsWith('file://')).toBe(true);
    expect(readFileSync(link.slice('file://'.length)).equals(SHOT)).toBe(true);
  });
});

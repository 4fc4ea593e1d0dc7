import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBodySignature } from '../../../src/credentials/index.js';
import { EngineRegistry } from '../../../src/engines/registry.js';
import { prepareRunSecrets, runSecretsInput } from '../../../src/runs/index.js';
import { engineFrom } from '../../support/engines.js';
import { startTestWren, type TestWren, waitForRun } from '../../support/wren.js';

/**
 * The whole chain on a real server, with a scripted engine that does what the real engines will
 * do (docs/credentials.md, "Left for the lead"): prepareRunSecrets for the claimed run, resolve a
 * code, fail with the resolution's error code. Codes come from a stored credential, from a push
 * through the API while the run waits, and from a signed totp_url on loopback.
 */

const PASSWORD = 'run-flow-password-never-shown';
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
let t: TestWren;
/** Values the engine obtained, by run id (the run output only holds placeholders). */
const obtained = new Map<string, string>();
const startedIds = new Set<string>();
const started = new Map<string, () => void>();
const startedRun = (id: string) =>
  startedIds.has(id)
    ? Promise.resolve()
    : new Promise<void>((resolve) => {
        started.set(id, resolve);
      });

let endpoint: Server;
let endpointUrl = '';
const endpointCalls: Array<{ body: string; signature: string }> = [];

beforeAll(async () => {
  const engines = new EngineRegistry().register(
    engineFrom('skyvern-1.0', async (ctx) => {
      const run = await t.wren.store.runs.getById(ctx.task.runId);
      const secrets = await prepareRunSecrets(
        {
          store: t.wren.store,
          box: t.wren.secretBox,
          allowPrivateNetworks: t.wren.config.allowPrivateNetworks,
          totpPollIntervalMs: 25,
          totpTimeoutMs: ctx.task.prompt.includes('impatient') ? 150 : 15_000,
        },
        runSecretsInput(run!),
      );
      const usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
      try {
        // Give the test a moment to push: the run is now waiting for a code.
        startedIds.add(ctx.task.runId);
        started.get(ctx.task.runId)?.();
        const r = await secrets.resolveTotp({ signal: ctx.signal });
        if (!r.ok) {
          return {
            outcome: { status: 'failed', failureReason: r.reason },
            errors: [
              { error_code: r.errorCode, reasoning: r.reason, error_type: 'SYSTEM_DEFINED_ERROR' },
            ],
            stepCount: 1,
            usage,
          };
        }
        obtained.set(ctx.task.runId, r.value);
        const typed = secrets.vault.substitute(
          secrets.login ? `${secrets.login.password} then {{totp}}` : '{{totp}}',
        );
        return {
          outcome: {
            status: 'completed',
            output: secrets.vault.maskDeep({
              typed,
              source: r.source,
              login: secrets.login,
            }),
          },
          errors: [],
          stepCount: 1,
          usage,
        };
      } finally {
        secrets.release();
      }
    }),
    { requiresModel: false },
  );
  t = await startTestWren({ engines, worker: { pollIntervalMs: 50 } });

  let calls = 0;
  endpoint = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c;
    });
    req.on('end', () => {
      endpointCalls.push({ body, signature: String(req.headers['x-skyvern-signature']) });
      calls++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ verification_code: calls >= 3 ? '864209' : '' }));
    });
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/codes`;
});

afterAll(async () => {
  await t.close();
  await new Promise<void>((resolve) => endpoint.close(() => resolve()));
});

const done = (run: Record<string, unknown>) =>
  ['completed', 'failed'].includes(String(run['status']));

describe('runs that need a verification code', () => {
  it('log in with a stored credential: the code is generated, the password never shown', async () => {
    const cred = await t.call('POST', '/v1/credentials', {
      name: 'bank',
      username: 'jane',
      password: PASSWORD,
      totp: SECRET,
    });
    const credentialId = (cred.body as { credential_id: string }).credential_id;
    const res = await t.call('POST', '/v1/run/tasks', {
      prompt: 'log in',
      engine: 'skyvern-1.0',
      credential_id: credentialId,
    });
    const runId = (res.body as { run_id: string }).run_id;
    const run = await waitForRun(t, runId, done);
    expect(run['status']).toBe('completed');
    expect(run['output']).toEqual({
      typed: '{{secret:password}} then {{totp}}',
      source: 'secret',
      login: { username: 'jane', password: '{{secret:password}}', totp: '{{totp}}' },
    });
    const code = obtained.get(runId)!;
    expect(verifySync({ secret: SECRET, token: code, epochTolerance: 30 }).valid).toBe(true);
    const text = (await t.call('GET', `/v1/runs/${runId}`)).text;
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(code);
  });

  it('waits for a code pushed through the API while the run waits', async () => {
    const res = await t.call('POST', '/v1/run/tasks', {
      prompt: 'log in',
      engine: 'skyvern-1.0',
      totp_identifier: 'jane@example.com',
    });
    const runId = (res.body as { run_id: string }).run_id;
    await startedRun(runId);
    const push = await t.call('POST', '/v1/credentials/totp', {
      totp_identifier: 'JANE@example.com',
      content: '<p>Your Fixture Bank sign-in code is <b>552 871</b></p>',
      task_id: runId,
      source: 'email',
    });
    expect(push.status).toBe(200);
    const run = await waitForRun(t, runId, done);
    expect(run['status']).toBe('completed');
    expect(run['output']).toMatchObject({ source: 'pushed' });
    expect(obtained.get(runId)).toBe('552871');
  });

  it('pulls the code from a signed totp_url', async () => {
    endpointCalls.length = 0;
    const res = await t.call('POST', '/v1/run/tasks', {
      prompt: 'log in',
      engine: 'skyvern-1.0',
      totp_url: endpointUrl,
    });
    const runId = (res.body as { run_id: string }).run_id;
    const run = await waitForRun(t, runId, done);
    expect(run['failure_reason']).toBeNull();
    expect(run['status']).toBe('completed');
    expect(run['output']).toMatchObject({ source: 'totp_url' });
    expect(obtained.get(runId)).toBe('864209');
    expect(endpointCalls).toHaveLength(3);
    for (const call of endpointCalls) {
      expect(JSON.parse(call.body)).toEqual({ task_id: runId });
      // Signed with the key that created the run, as Skyvern receivers verify it.
      expect(verifyBodySignature(call.body, t.apiKey, call.signature)).toBe(true);
    }
  });

  it('fails with OTP_TIMEOUT when no code arrives', async () => {
    const res = await t.call('POST', '/v1/run/tasks', {
      prompt: 'impatient login',
      engine: 'skyvern-1.0',
      totp_identifier: 'nobody@example.com',
    });
    const runId = (res.body as { run_id: string }).run_id;
    const run = await waitForRun(t, runId, done);
    expect(run).toMatchObject({
      status: 'failed',
      failure_reason: 'no verification code received within 150 ms',
      errors: [
        {
          error_code: 'OTP_TIMEOUT',
          reasoning: 'no verification code received within 150 ms',
          error_type: 'SYSTEM_DEFINED_ERROR',
        },
      ],
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineRegistry } from '../../../src/engines/registry.js';
import { engineFrom } from '../../support/engines.js';
import { startTestWren, type TestWren, waitForRun } from '../../support/wren.js';

/**
 * What an engine reports when a run ends (a thrown error, failure_reason, errors, output) is
 * stored and served to the caller, the UI and the webhook: a credential's password must not be
 * in it, even when the error came from a layer that quoted the typed value (docs/security.md).
 */

const PASSWORD = 'leak-check-password-4711';
let t: TestWren;

beforeAll(async () => {
  const engines = new EngineRegistry().register(
    engineFrom('skyvern-1.0', async (ctx) => {
      const typed = ctx.secrets!.substitute('{{secret:password}}');
      const usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
      // What a browser layer says when typing the real value failed.
      const quoted = `locator.fill: could not type "${typed}" into #password`;
      if (ctx.task.prompt === 'throw') throw new Error(quoted);
      return {
        outcome: {
          status: ctx.task.prompt === 'complete' ? 'completed' : 'failed',
          failureReason: quoted,
          output: { page_said: `Welcome! Your password ${typed} is weak` },
        },
        errors: [
          { error_code: 'LOGIN_FAILED', reasoning: quoted, error_type: 'SYSTEM_DEFINED_ERROR' },
        ],
        stepCount: 1,
        usage,
      };
    }),
    { requiresModel: false },
  );
  t = await startTestWren({ engines, worker: { pollIntervalMs: 50 } });
});

afterAll(async () => {
  await t.close();
});

async function runWith(prompt: string): Promise<string> {
  const cred = await t.call('POST', '/v1/credentials', {
    name: `bank-${prompt}`,
    username: 'jane',
    password: PASSWORD,
  });
  const credentialId = (cred.body as { credential_id: string }).credential_id;
  const res = await t.call('POST', '/v1/run/tasks', {
    prompt,
    engine: 'skyvern-1.0',
    credential_id: credentialId,
  });
  const runId = (res.body as { run_id: string }).run_id;
  await waitForRun(t, runId, (r) => ['completed', 'failed'].includes(String(r['status'])));
  return runId;
}

describe('a run that ends with the typed password in what the engine reports', () => {
  it('stores a thrown error with the password masked', async () => {
    const runId = await runWith('throw');
    const { text, body } = await t.call('GET', `/v1/runs/${runId}`);
    expect(text).not.toContain(PASSWORD);
    expect(String((body as Record<string, unknown>)['failure_reason'])).toContain(
      'could not type "{{secret:password}}"',
    );
  });

  it('stores failure_reason, errors and output with the password masked', async () => {
    for (const prompt of ['fail', 'complete']) {
      const runId = await runWith(prompt);
      const { text, body } = await t.call('GET', `/v1/runs/${runId}`);
      expect(text).not.toContain(PASSWORD);
      expect((body as Record<string, unknown>)['output']).toEqual({
        page_said: 'Welcome! Your password {{secret:password}} is weak',
      });
      const timeline = await t.call('GET', `/v1/runs/${runId}/timeline`);
      expect(timeline.text).not.toContain(PASSWORD);
    }
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { EngineRegistry } from '../../../src/engines/registry.js';
import type { TaskSpec } from '../../../src/engines/types.js';
import { blockingEngine, engineFrom, untilAborted } from '../../support/engines.js';
import { isTerminalRun, startTestWren, type TestWren, waitForRun } from '../../support/wren.js';

const MODEL_ENV = { WREN_MODEL: 'openai/gpt-5-mini', OPENAI_API_KEY: 'sk-test' };

let t: TestWren | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

async function submit(body: Record<string, unknown>): Promise<string> {
  const res = await t!.call('POST', '/v1/run/tasks', body);
  expect(res.status).toBe(200);
  return (res.body as { run_id: string }).run_id;
}

describe('worker', () => {
  it('runs a task through its engine and records output, steps and usage', async () => {
    const seen: TaskSpec[] = [];
    const engines = new EngineRegistry().register(
      engineFrom('skyvern-1.0', async (ctx) => {
        seen.push(ctx.task);
        for (let i = 0; i < 3; i++) {
          ctx.emit({ type: 'step_started', stepIndex: i });
          ctx.emit({
            type: 'step_finished',
            stepIndex: i,
            summary: `step ${i}`,
            usage: { inputTokens: 10, outputTokens: 2, costUsd: 0.5 },
          });
        }
        return {
          outcome: { status: 'completed', output: { price: '42.00' } },
          errors: [],
          stepCount: 3,
          usage: { inputTokens: 30, outputTokens: 6, costUsd: 1.5 },
        };
      }),
      { requiresModel: false },
    );
    t = await startTestWren({ engines });
    const id = await submit({
      prompt: 'Find the price',
      url: 'shop.example',
      engine: 'skyvern-1.0',
      max_steps: 7,
      data_extraction_schema: { type: 'object', properties: { price: { type: 'string' } } },
      error_code_mapping: { out_of_stock: 'The item is sold out' },
    });
    expect(id).toMatch(/^tsk_\d+$/);
    const run = await waitForRun(t, id, isTerminalRun);
    expect(run).toMatchObject({
      status: 'completed',
      output: { price: '42.00' },
      step_count: 3,
      failure_reason: null,
      usage: { input_tokens: 30, output_tokens: 6, cost_usd: 1.5 },
    });
    expect(run['finished_at']).toEqual(expect.any(String));
    expect(seen[0]).toMatchObject({
      runId: id,
      prompt: 'Find the price',
      url: 'https://shop.example',
      engine: 'skyvern-1.0',
      maxSteps: 7,
      errorCodeMapping: { out_of_stock: 'The item is sold out' },
      dataExtractionSchema: { type: 'object', properties: { price: { type: 'string' } } },
    });
    const steps = await t.wren.store.runs.steps(id);
    expect(steps.map((s) => `${s.kind}:${s.stepIndex}`)).toEqual([
      'step_started:0',
      'step_finished:0',
      'step_started:1',
      'step_finished:1',
      'step_started:2',
      'step_finished:2',
    ]);
    expect(steps[1]?.summary).toBe('step 0');
  });

  it('fails a run with a reason naming what to set when no model is configured', async () => {
    t = await startTestWren({ env: { WREN_MODEL: undefined } });
    const id = await submit({ prompt: 'anything' });
    const run = await waitForRun(t, id, isTerminalRun);
    expect(run['status']).toBe('failed');
    expect(run['failure_reason']).toContain('Set WREN_MODEL=provider/model');
    expect(run['failure_reason']).toContain('OPENAI_API_KEY');
    expect(run['failure_reason']).toContain('ANTHROPIC_API_KEY');
  });

  it('names the missing provider key when WREN_MODEL is set without it', async () => {
    t = await startTestWren({
      env: { WREN_MODEL: 'anthropic/claude-sonnet-4-5', ANTHROPIC_API_KEY: undefined },
    });
    const run = await waitForRun(t, await submit({ prompt: 'x' }), isTerminalRun);
    expect(run['status']).toBe('failed');
    expect(run['failure_reason']).toBe(
      'WREN_MODEL=anthropic/claude-sonnet-4-5 needs ANTHROPIC_API_KEY to be set',
    );
  });

  it('fails honestly when a model is configured but the engine is not installed', async () => {
    t = await startTestWren({ env: MODEL_ENV, engines: new EngineRegistry() });
    const run = await waitForRun(
      t,
      await submit({ prompt: 'x', engine: 'ui-tars' }),
      isTerminalRun,
    );
    expect(run['status']).toBe('failed');
    expect(run['failure_reason']).toBe(
      'The ui-tars engine is not available in this build of Wren yet; no engine is installed.',
    );
  });

  it('fails a run whose engine throws, and keeps serving others', async () => {
    const engines = new EngineRegistry().register(
      engineFrom('openai-cua', async () => {
        throw new Error('browser crashed');
      }),
      { requiresModel: false },
    );
    t = await startTestWren({ engines });
    const run = await waitForRun(
      t,
      await submit({ prompt: 'x', engine: 'openai-cua' }),
      isTerminalRun,
    );
    expect(run).toMatchObject({
      status: 'failed',
      failure_reason: 'The openai-cua engine failed: browser crashed',
      run_type: 'openai_cua',
    });
    const health = await fetch(`${t.url}/health`);
    expect(health.status).toBe(200);
  });

  it('reports terminated with the engine reason', async () => {
    const engines = new EngineRegistry().register(
      engineFrom('skyvern-2.0', async () => ({
        outcome: {
          status: 'terminated',
          failureReason: 'The site requires a login we do not have',
        },
        errors: [
          {
            error_code: 'login_required',
            reasoning: 'login wall',
            error_type: 'USER_DEFINED_ERROR',
          },
        ],
        stepCount: 2,
        usage: { inputTokens: 1, outputTokens: 1, costUsd: 0 },
      })),
      { requiresModel: false },
    );
    t = await startTestWren({ engines });
    const run = await waitForRun(t, await submit({ prompt: 'x' }), isTerminalRun);
    expect(run).toMatchObject({
      status: 'terminated',
      failure_reason: 'The site requires a login we do not have',
      step_count: 2,
      errors: [
        { error_code: 'login_required', reasoning: 'login wall', error_type: 'USER_DEFINED_ERROR' },
      ],
    });
  });

  it('cancels a running run: the engine sees the abort and the slot frees for the next run', async () => {
    const blocking = blockingEngine();
    const engines = new EngineRegistry().register(blocking.engine, { requiresModel: false });
    t = await startTestWren({ engines, config: { maxConcurrency: 1 } });
    const first = await submit({ prompt: 'first' });
    await blocking.startedRun(first);
    const second = await submit({ prompt: 'second' });
    // With one slot busy, the second run waits in the queue.
    expect((await t.call('GET', `/v1/runs/${second}`)).body).toMatchObject({ status: 'queued' });
    const running = await waitForRun(t, first, (r) => r['step_count'] === 1);
    expect(running['status']).toBe('running');

    const cancel = await t.call('POST', `/v1/runs/${first}/cancel`);
    expect(cancel.status).toBe(200);
    expect(cancel.text).toBe('null');
    const canceled = await waitForRun(t, first, (r) => r['status'] === 'canceled');
    expect(canceled['finished_at']).toEqual(expect.any(String));
    // The freed slot picks up the queued run.
    await blocking.startedRun(second);
    expect(blocking.started).toEqual([first, second]);
    // Counters reached before the cancel are kept.
    expect((await t.call('GET', `/v1/runs/${first}`)).body).toMatchObject({
      status: 'canceled',
      step_count: 1,
    });
    // Canceling again is an invalid transition (docs/api.md "cancel").
    const again = await t.call('POST', `/v1/runs/${first}/cancel`);
    expect(again.status).toBe(400);
    expect(again.body).toEqual({
      detail: `Invalid task status transition from canceled to canceled for ${first}`,
    });
  });

  it('cancels a queued run before any engine sees it', async () => {
    const blocking = blockingEngine();
    const engines = new EngineRegistry().register(blocking.engine, { requiresModel: false });
    t = await startTestWren({ engines, config: { maxConcurrency: 1 } });
    const first = await submit({ prompt: 'first' });
    await blocking.startedRun(first);
    const queued = await submit({ prompt: 'queued' });
    const cancel = await t.call('POST', `/v1/runs/${queued}/cancel/`);
    expect(cancel.status).toBe(200);
    const run = (await t.call('GET', `/v1/runs/${queued}`)).body as Record<string, unknown>;
    expect(run).toMatchObject({ status: 'canceled', started_at: null, step_count: 0 });
    await t.call('POST', `/v1/runs/${first}/cancel`);
    await waitForRun(t, first, (r) => r['status'] === 'canceled');
    // The canceled queued run never reaches the engine.
    expect(blocking.started).toEqual([first]);
  });

  it('ends a run that exceeds its wall-clock limit as timed_out', async () => {
    let sawAbort = false;
    const engines = new EngineRegistry().register(
      engineFrom('skyvern-2.0', async (ctx) => {
        await untilAborted(ctx.signal);
        sawAbort = true;
        return {
          outcome: { status: 'failed', failureReason: 'aborted' },
          errors: [],
          stepCount: 0,
          usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
        };
      }),
      { requiresModel: false },
    );
    t = await startTestWren({ engines, config: { runTimeoutMs: 300 } });
    const run = await waitForRun(t, await submit({ prompt: 'slow' }), isTerminalRun);
    expect(run['status']).toBe('timed_out');
    expect(run['failure_reason']).toContain('wall-clock limit');
    expect(sawAbort).toBe(true);
  });

  it('frees the slot of an engine that ignores the abort signal after the grace period', async () => {
    const engines = new EngineRegistry().register(
      engineFrom('skyvern-2.0', (ctx) =>
        ctx.task.prompt === 'stubborn'
          ? new Promise(() => {})
          : Promise.resolve({
              outcome: { status: 'completed', output: 'ok' },
              errors: [],
              stepCount: 1,
              usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
            }),
      ),
      { requiresModel: false },
    );
    t = await startTestWren({
      engines,
      config: { maxConcurrency: 1 },
      worker: { abortGraceMs: 100 },
    });
    const stubborn = await submit({ prompt: 'stubborn' });
    await waitForRun(t, stubborn, (r) => r['status'] === 'running');
    const next = await submit({ prompt: 'next' });
    await t.call('POST', `/v1/runs/${stubborn}/cancel`);
    expect(await waitForRun(t, next, isTerminalRun)).toMatchObject({
      status: 'completed',
      output: 'ok',
    });
    expect((await t.call('GET', `/v1/runs/${stubborn}`)).body).toMatchObject({
      status: 'canceled',
    });
  });

  it('puts in-flight runs back in the queue on a graceful stop, without counting the attempt', async () => {
    const blocking = blockingEngine();
    const engines = new EngineRegistry().register(blocking.engine, { requiresModel: false });
    t = await startTestWren({ engines });
    const id = await submit({ prompt: 'interrupted' });
    await blocking.startedRun(id);
    await t.wren.worker.stop();
    expect(await t.wren.store.runs.getById(id)).toMatchObject({
      status: 'queued',
      startedAt: null,
      attempts: 0,
      stepCount: 1,
    });
  });
});

/**
 * Structured logs (pino, one JSON object a line): a line per run transition and per step, at the
 * configured level (`--log-level`, WREN_LOG_LEVEL).
 */
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogLevel } from '../../../src/config.js';
import { EngineRegistry } from '../../../src/engines/registry.js';
import { engineFrom } from '../../support/engines.js';
import { isTerminalRun, startTestWren, type TestWren, waitForRun } from '../../support/wren.js';

let t: TestWren | null = null;
afterEach(async () => {
  await t?.close();
  t = null;
});

type Line = Record<string, unknown>;

/** A Wren whose log lines are captured, with an engine that takes two steps and completes. */
async function wrenLoggingAt(level: LogLevel): Promise<Line[]> {
  const lines: Line[] = [];
  let pending = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString();
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const part of parts) if (part) lines.push(JSON.parse(part) as Line);
      done();
    },
  });
  const engines = new EngineRegistry().register(
    engineFrom('skyvern-1.0', async (ctx) => {
      for (let i = 0; i < 2; i++) {
        ctx.emit({ type: 'step_started', stepIndex: i });
        ctx.emit({ type: 'step_finished', stepIndex: i, summary: `did step ${i}` });
      }
      return {
        outcome: { status: 'completed', output: { ok: true } },
        errors: [],
        stepCount: 2,
        usage: { inputTokens: 1, outputTokens: 1, costUsd: 0 },
      };
    }),
    { requiresModel: false },
  );
  t = await startTestWren({ engines, log: { level, destination } });
  return lines;
}

async function runOnce(): Promise<string> {
  const res = await t!.call('POST', '/v1/run/tasks', {
    prompt: 'two steps',
    engine: 'skyvern-1.0',
  });
  const id = (res.body as { run_id: string }).run_id;
  expect((await waitForRun(t!, id, isTerminalRun))['status']).toBe('completed');
  return id;
}

describe('run logs', () => {
  it('write one JSON line per run transition and per step', async () => {
    const lines = await wrenLoggingAt('info');
    const id = await runOnce();
    const mine = lines.filter((l) => l['run_id'] === id);
    expect(
      mine.filter((l) => l['msg'] === 'run transition').map((l) => [l['from'], l['to']]),
    ).toEqual([
      ['created', 'queued'],
      ['queued', 'running'],
      ['running', 'completed'],
    ]);
    expect(mine.filter((l) => l['msg'] === 'run step').map((l) => [l['event'], l['step']])).toEqual(
      [
        ['step_started', 0],
        ['step_finished', 0],
        ['step_started', 1],
        ['step_finished', 1],
      ],
    );
    for (const line of mine) {
      expect(line).toMatchObject({ level: 30, service: 'wren' });
      expect(line['time']).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
  });

  it('leave out lines below the configured level', async () => {
    const lines = await wrenLoggingAt('warn');
    const id = await runOnce();
    expect(lines.filter((l) => l['run_id'] === id)).toEqual([]);
    expect(lines.every((l) => Number(l['level']) >= 40)).toBe(true);
  });
});

/**
 * Issue #17 finding 5: one extraction schema froze the server (`^(a+)+$` against a 30-character
 * answer held the event loop 101 s). Patterns now run on RE2 (docs/security.md "Extraction
 * schemas"); a pattern RE2 cannot run is refused at submit time, naming where it is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentModel } from '../../../src/engines/ports.js';
import { EngineRegistry } from '../../../src/engines/registry.js';
import {
  extractWithSchema,
  normalizeExtractionSchema,
} from '../../../src/engines/shared/extraction.js';
import { engineFrom } from '../../support/engines.js';
import { isTerminalRun, startTestWren, type TestWren, waitForRun } from '../../support/wren.js';

// What a hostile page could steer the model into answering.
const HOSTILE_ANSWER = { name: `${'a'.repeat(30)}!` };

const model: AgentModel = {
  async complete() {
    return {
      json: { data: HOSTILE_ANSWER },
      text: JSON.stringify({ data: HOSTILE_ANSWER }),
      usage: { inputTokens: 1, outputTokens: 1, costUsd: 0 },
      model: 'fake',
      durationMs: 0,
    };
  },
};

let t: TestWren;
beforeAll(async () => {
  // The real extractor inside the real worker; only the model is scripted.
  const engines = new EngineRegistry().register(
    engineFrom('skyvern-1.0', async (ctx) => {
      const schema = normalizeExtractionSchema(ctx.task.dataExtractionSchema)!;
      const result = await extractWithSchema({
        model,
        schema,
        render: () => ({ system: 'extract', user: 'the page' }),
        images: [],
        signal: ctx.signal,
        attempts: 2,
      });
      return {
        outcome: result.ok
          ? { status: 'completed', output: result.data as Record<string, unknown> }
          : { status: 'failed', failureReason: result.errors.join('; ') },
        errors: [],
        stepCount: 1,
        usage: result.usage,
      };
    }),
    { requiresModel: false },
  );
  t = await startTestWren({ engines });
});
afterAll(async () => t.close());

describe('regex safety', () => {
  it('a catastrophic pattern fails the run with the reason while /health keeps answering', async () => {
    const submitted = await t.call('POST', '/v1/run/tasks', {
      prompt: 'Read the name',
      engine: 'skyvern-1.0',
      data_extraction_schema: {
        type: 'object',
        properties: { name: { type: 'string', pattern: '^(a+)+$' } },
      },
    });
    expect(submitted.status, submitted.text).toBe(200);
    const runId = (submitted.body as { run_id: string }).run_id;
    // Validation and health checks run side by side; both must finish.
    const [run, health] = await Promise.all([
      waitForRun(t, runId, isTerminalRun),
      fetch(`${t.url}/health`).then((r) => r.status),
    ]);
    expect(health).toBe(200);
    expect(run).toMatchObject({
      status: 'failed',
      failure_reason: 'data.name must match pattern "^(a+)+$"',
    });
    expect((await fetch(`${t.url}/health`)).status).toBe(200);
  });

  it('a pattern RE2 cannot run is refused at submit time, naming where it is', async () => {
    const res = await t.call('POST', '/v1/run/tasks', {
      prompt: 'Read the code',
      data_extraction_schema: {
        type: 'object',
        properties: { code: { type: 'string', pattern: '^(\\d)\\1$' } },
      },
    });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      detail: [
        expect.objectContaining({
          type: 'json_schema_invalid',
          loc: ['body', 'data_extraction_schema'],
          msg: expect.stringMatching(
            /^data_extraction_schema is not a valid JSON Schema: schema\/properties\/code\/pattern "\^\(\\\\d\)\\\\1\$" is not supported: Wren runs patterns with RE2/,
          ),
        }),
      ],
    });
  });
});

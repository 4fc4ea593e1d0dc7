import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../../src/api/index.js';
import { newId } from '../../../src/core/index.js';
import type { OpenApiDoc } from '../../support/openapi.js';
import { startTestWren, type TestWren } from '../../support/wren.js';

/**
 * Every /v1 route with an id in its path, walked from /openapi.json: another organization's id
 * answers exactly like an id that does not exist (same status, same body with the id swapped),
 * so a caller learns neither the object nor that it exists; list routes show only its own rows.
 */

let t: TestWren;
let otherKey = '';
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await startTestWren({ config: { workerEnabled: false } });
  const other = { id: newId('o'), name: 'other', createdAt: new Date().toISOString() };
  await t.wren.store.apiKeys.createOrganization(other);
  otherKey = await createApiKey(t.wren.store, other.id, 'test');
  const run = await t.call('POST', '/v1/run/tasks', {
    prompt: 'mine',
    webhook_url: 'http://127.0.0.1:9/hook',
  });
  ids['run_id'] = String((run.body as Record<string, unknown>)['run_id']);
  const cred = await t.call('POST', '/v1/credentials', {
    name: 'bank',
    username: 'jane',
    password: 'pw-isolation',
  });
  ids['credential_id'] = String((cred.body as Record<string, unknown>)['credential_id']);
});
afterAll(async () => t.close());

describe('organization isolation, every route with an id', () => {
  it("answers another organization's ids like unknown ones", async () => {
    const doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as OpenApiDoc;
    const report: string[] = [];
    for (const [template, methods] of Object.entries(doc.paths)) {
      const params = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
      if (!params.some((p) => ids[p])) continue;
      for (const method of Object.keys(methods)) {
        const fill = (own: boolean) =>
          template.replace(/\{([^}]+)\}/g, (_m, p: string) =>
            own && ids[p]
              ? (ids[p] as string)
              : p === 'revision'
                ? '1'
                : `${(ids[p] ?? 'x_1').split('_')[0]}_999999`,
          );
        const body = method === 'get' || method === 'delete' ? undefined : {};
        const mine = await t.call(method.toUpperCase(), fill(true), body, {
          'x-api-key': otherKey,
        });
        const none = await t.call(method.toUpperCase(), fill(false), body, {
          'x-api-key': otherKey,
        });
        const same =
          mine.text.replace(/[a-z]+(_v2)?_\d+/g, 'ID') ===
          none.text.replace(/[a-z]+(_v2)?_\d+/g, 'ID');
        report.push(
          `${method.toUpperCase()} ${template}: ${mine.status} vs ${none.status}${same ? '' : ` DIFFERENT ${mine.text.slice(0, 200)} | ${none.text.slice(0, 200)}`}`,
        );
      }
    }
    // Runs (and their timeline, artifacts, script, webhooks) and credentials were walked.
    expect(report.length).toBeGreaterThanOrEqual(10);
    expect(report.filter((l) => l.includes('DIFFERENT') || / 2\d\d vs/.test(l))).toEqual([]);
  });
});

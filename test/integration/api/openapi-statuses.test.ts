/**
 * Issue 17: `/openapi.json` lists every status each route returns. This walks every documented
 * operation and provokes the answers every route can give — no API key, another organization's
 * or an unknown id in the path, an invalid body — and checks that each status the server
 * actually sent is among the statuses the document lists for that operation (docs/api.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OpenApiDoc } from '../../support/openapi.js';
import { startTestWren, type TestWren } from '../../support/wren.js';

let t: TestWren;
let doc: OpenApiDoc;
beforeAll(async () => {
  t = await startTestWren({ config: { workerEnabled: false } });
  doc = (await (await fetch(`${t.url}/openapi.json`)).json()) as OpenApiDoc;
});
afterAll(async () => t?.close());

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** Statuses that are never per-route: a body too large, a server fault. */
const GLOBAL = new Set([413, 415, 500, 502, 503]);

describe('/openapi.json lists the statuses the server returns', () => {
  it('every provoked status of every operation is documented', async () => {
    const missing: string[] = [];
    let probes = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method] as { responses?: Record<string, unknown> } | undefined;
        if (!op) continue;
        const documented = new Set(Object.keys(op.responses ?? {}));
        const url = path.replace(/\{[^}]+\}/g, 'zz_unknown_1');
        const bodies: (unknown | undefined)[] =
          method === 'get' || method === 'delete' ? [undefined] : [undefined, { __bad: [1] }];
        const attempts: { headers: Record<string, string>; body: unknown }[] = [
          { headers: { 'x-api-key': 'wrong-key' }, body: undefined },
          ...bodies.map((body) => ({ headers: {}, body })),
        ];
        for (const attempt of attempts) {
          // Path parameters that are not ids (e.g. /v1/runs/{run_id}/cancel) still get 404/422.
          const res = await t.call(method.toUpperCase(), url, attempt.body, attempt.headers);
          probes++;
          if (GLOBAL.has(res.status) || res.status < 400) continue;
          if (!documented.has(String(res.status)) && !documented.has('default'))
            missing.push(
              `${method.toUpperCase()} ${path} → ${res.status} (${res.text.slice(0, 80)})`,
            );
        }
      }
    }
    expect(probes).toBeGreaterThan(50);
    expect(missing).toEqual([]);
  });
});

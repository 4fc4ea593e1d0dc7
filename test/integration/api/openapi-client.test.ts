/**
 * The generated client types are current (docs/architecture.md, "Typed edges": the UI and the SDK
 * are typed by src/contract/openapi.gen.ts, regenerated from /openapi.json by
 * `npm run openapi:client`). A route or schema change without regenerating fails here.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATED_PATH, generatedClientSource } from '../../../scripts/openapi-client.js';

describe('src/contract/openapi.gen.ts', () => {
  it('matches what `npm run openapi:client` generates from /openapi.json', async () => {
    const expected = await generatedClientSource();
    const current = readFileSync(GENERATED_PATH, 'utf8');
    // On a mismatch: run `npm run openapi:client` and commit the file.
    expect(
      current === expected,
      'src/contract/openapi.gen.ts is stale: run `npm run openapi:client`',
    ).toBe(true);
    expect(current).toContain('"/v1/run/tasks"');
  });
});

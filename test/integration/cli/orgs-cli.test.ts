/**
 * `wren orgs` and `wren keys` on the database directly, against a running server on the same data
 * directory (docs/security.md, "Organizations and keys"; docs/configuration.md, "API keys").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/process.js';
import { startTestWren, type TestWren } from '../../support/wren.js';

const dataDir = mkdtempSync(join(tmpdir(), 'wren-orgs-cli-'));
const env = { WREN_DATA_DIR: undefined, WREN_DATABASE_URL: undefined, WREN_API_KEY: undefined };
let t: TestWren;

beforeAll(async () => {
  t = await startTestWren({ config: { dataDir, workerEnabled: false } });
});
afterAll(async () => {
  await t?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const cli = async (...args: string[]) => {
  const res = await runCli([...args, '--data-dir', dataDir], env);
  expect(res.code, res.stderr).toBe(0);
  return res.stdout;
};

describe('wren orgs / wren keys', () => {
  it('creates an organization with quotas and a key the server accepts; revoking it is immediate', async () => {
    const created = JSON.parse(
      await cli('orgs', 'create', 'acme', '--max-browser-sessions', '2'),
    ) as { organization: Record<string, unknown>; api_key: string; key: { id: string } };
    expect(created.organization).toMatchObject({ name: 'acme', max_browser_sessions: 2 });
    const key = created.api_key;
    const runs = async (k: string) =>
      (await t.call('GET', '/v1/runs', undefined, { 'x-api-key': k })).status;
    expect(await runs(key)).toBe(200);

    const second = (await cli('keys', 'create', '--org', 'acme', '--label', 'ci')).trim();
    expect(await runs(second)).toBe(200);
    const listed = await cli('keys', 'list', '--org', 'acme');
    const items = JSON.parse(listed) as { id: string; label: string; admin: boolean }[];
    expect(items.map((k) => [k.label, k.admin])).toEqual([
      ['ci', false],
      ['first key', false],
    ]);
    expect(listed).not.toContain(key);

    await cli('keys', 'revoke', created.key.id);
    expect(await runs(key)).toBe(403);
    expect(await runs(second)).toBe(200);

    const set = JSON.parse(await cli('orgs', 'set', 'acme', '--max-browser-sessions', 'default'));
    expect(set).toMatchObject({
      max_browser_sessions: 8,
      overrides: { max_browser_sessions: null },
    });
    const dup = await runCli(['orgs', 'create', 'acme', '--data-dir', dataDir], env);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toBe('error: name: an organization named "acme" exists already\n');
  });
});

/**
 * `wren orgs` and `wren keys` on the database directly, against a running server on the same data
 * directory, and with `--server` over the admin API of a real server process, with its admin key
 * from --api-key or WREN_API_KEY (docs/security.md, "Organizations and keys"; docs/configuration.md,
 * "API keys").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killHard, runCli, type ServerProcess, startServerProcess } from '../../support/process.js';
import { startTestWren, type TestWren } from '../../support/wren.js';

const dataDir = mkdtempSync(join(tmpdir(), 'wren-orgs-cli-'));
const serverDir = mkdtempSync(join(tmpdir(), 'wren-orgs-cli-server-'));
const ADMIN_KEY = 'wren_orgs_cli_admin_key_0123456789abcdef';
const env = { WREN_DATA_DIR: undefined, WREN_DATABASE_URL: undefined, WREN_API_KEY: undefined };
let t: TestWren;
let server: ServerProcess;

beforeAll(async () => {
  [t, server] = await Promise.all([
    startTestWren({ config: { dataDir, workerEnabled: false } }),
    startServerProcess(['--no-worker', '--data-dir', serverDir], {
      WREN_API_KEY: ADMIN_KEY,
      WREN_DATABASE_URL: undefined,
      WREN_PORT: undefined,
    }),
  ]);
}, 60_000);
afterAll(async () => {
  await t?.close();
  if (server) await killHard(server);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(serverDir, { recursive: true, force: true });
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

  it("does the same over a server's admin API with --server and an admin key", async () => {
    // The key from WREN_API_KEY, as an operator's shell would have it.
    const remote = async (...args: string[]) => {
      const res = await runCli([...args, '--server', server.url], {
        ...env,
        WREN_API_KEY: ADMIN_KEY,
      });
      expect(res.code, res.stderr).toBe(0);
      return res.stdout;
    };
    const runs = async (k: string) =>
      (await fetch(`${server.url}/v1/runs`, { headers: { 'x-api-key': k } })).status;
    const created = JSON.parse(
      await remote('orgs', 'create', 'globex', '--max-browser-sessions', '3'),
    ) as { organization: Record<string, unknown>; api_key: string; key: { id: string } };
    expect(created.organization).toMatchObject({ name: 'globex', max_browser_sessions: 3 });
    expect(await runs(created.api_key)).toBe(200);

    const second = (await remote('keys', 'create', '--org', 'globex', '--label', 'ci')).trim();
    expect(second).toMatch(/^wren_/);
    expect(await runs(second)).toBe(200);
    const listed = await remote('keys', 'list', '--org', 'globex');
    const items = JSON.parse(listed) as { id: string; label: string; revoked_at: string | null }[];
    expect(items.map((k) => k.label)).toEqual(['ci', 'first key']);
    expect(listed).not.toContain(created.api_key);

    const revoked = JSON.parse(await remote('keys', 'revoke', created.key.id)) as {
      revoked_at: string | null;
    };
    expect(revoked.revoked_at).not.toBeNull();
    expect(await runs(created.api_key)).toBe(403);
    expect(await runs(second)).toBe(200);

    // The same database-mode commands never touched the server's data: it lives elsewhere.
    expect(
      await runCli(['keys', 'list', '--org', 'globex', '--data-dir', dataDir], env),
    ).toMatchObject({ code: 1 });

    // An ordinary key is refused by the server, and the CLI says so.
    const refused = await runCli(
      ['keys', 'create', '--server', server.url, '--api-key', second],
      env,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'error (HTTP 403): x-api-key: only an admin key may create API keys; this key is not one\n',
    );
    // Without a key at all.
    const keyless = await runCli(['orgs', 'list', '--server', server.url], env);
    expect(keyless.code).toBe(1);
    expect(keyless.stderr).toBe(
      'error: --server needs an admin key: --api-key (or WREN_API_KEY)\n',
    );
  }, 60_000);
});

/**
 * Issue 17: the data directory Wren creates is 0700 and the database and key files in it 0600
 * (docs/credentials.md: "a missing data dir is created with `0700`"; docs/security.md). An
 * existing database that others could read is tightened.
 */
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSecretBox } from '../../../src/credentials/index.js';
import { openStore } from '../../../src/store/index.js';

const root = mkdtempSync(join(tmpdir(), 'wren-perm-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o777;

describe('data directory permissions', () => {
  it('creates the data dir 0700 and wren.db (with its WAL files) and secret.key 0600', async () => {
    const dataDir = join(root, 'fresh', 'data');
    const store = await openStore({ dataDir });
    await store.apiKeys.createOrganization({
      id: 'o_p',
      name: 'p',
      createdAt: new Date().toISOString(),
    });
    await loadSecretBox({ dataDir, env: {} });
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(join(dataDir, 'wren.db'))).toBe(0o600);
    expect(mode(join(dataDir, 'wren.db-wal'))).toBe(0o600);
    expect(mode(join(dataDir, 'secret.key'))).toBe(0o600);
    await store.close();
  });

  it('tightens an existing database that others could read', async () => {
    const dataDir = join(root, 'old');
    await openStore({ dataDir }).then((s) => s.close());
    chmodSync(join(dataDir, 'wren.db'), 0o644);
    writeFileSync(join(dataDir, 'wren.db-shm'), '');
    chmodSync(join(dataDir, 'wren.db-shm'), 0o644);
    const store = await openStore({ dataDir });
    expect(mode(join(dataDir, 'wren.db'))).toBe(0o600);
    expect(mode(join(dataDir, 'wren.db-shm'))).toBe(0o600);
    await store.close();
  });
});

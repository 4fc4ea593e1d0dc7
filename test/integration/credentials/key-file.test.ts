import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadSecretBox, SecretDecryptionError } from '../../../src/credentials/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wren-key-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadSecretBox', () => {
  it('generates a 0600 key file on first use and reuses it afterwards', async () => {
    const dataDir = join(dir, 'data');
    const first = await loadSecretBox({ dataDir, env: {} });
    expect(first.keySource).toBe('generated');
    const file = join(dataDir, 'secret.key');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64')).toHaveLength(32);

    const sealed = first.box.seal('pw', 'ctx');
    const second = await loadSecretBox({ dataDir, env: {} });
    expect(second.keySource).toBe('file');
    expect(second.box.keyId).toBe(first.box.keyId);
    expect(second.box.open(sealed, 'ctx')).toBe('pw');
  });

  it('processes starting together end up with the same key, and none reads it half written', async () => {
    // Twenty first starts of six processes each: one generates the key, the rest read it whole.
    for (let round = 0; round < 20; round++) {
      const dataDir = join(dir, `data-${round}`);
      const loaded = await Promise.all(
        Array.from({ length: 6 }, () => loadSecretBox({ dataDir, env: {} })),
      );
      expect(new Set(loaded.map((l) => l.box.keyId)).size).toBe(1);
      expect(loaded.filter((l) => l.keySource === 'generated')).toHaveLength(1);
      expect(await readdir(dataDir)).toEqual(['secret.key']);
    }
  });

  it('tightens a key file readable by others and says so', async () => {
    await loadSecretBox({ dataDir: dir, env: {} });
    const file = join(dir, 'secret.key');
    const { chmod } = await import('node:fs/promises');
    await chmod(file, 0o644);
    const again = await loadSecretBox({ dataDir: dir, env: {} });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(again.warnings[0]).toContain('set to 600');
    expect(again.warnings.join(' ')).not.toContain((await readFile(file, 'utf8')).trim());
  });

  it('WREN_SECRET_KEY wins over the file; the old file key can be kept for decryption', async () => {
    const fromFile = await loadSecretBox({ dataDir: dir, env: {} });
    const sealed = fromFile.box.seal('old-pw', 'ctx');
    const fileKey = (await readFile(join(dir, 'secret.key'), 'utf8')).trim();
    const env = { WREN_SECRET_KEY: 'a long enough passphrase for tests' };
    const fromEnv = await loadSecretBox({ dataDir: dir, env });
    expect(fromEnv.keySource).toBe('env');
    expect(() => fromEnv.box.open(sealed, 'ctx')).toThrow(SecretDecryptionError);
    const rotating = await loadSecretBox({
      dataDir: dir,
      env: { ...env, WREN_SECRET_KEY_PREVIOUS: fileKey },
    });
    expect(rotating.box.open(sealed, 'ctx')).toBe('old-pw');
    expect(rotating.box.needsReseal(sealed)).toBe(true);
  });

  it('a corrupt key file is an error naming the file', async () => {
    await writeFile(join(dir, 'secret.key'), 'short', { mode: 0o600 });
    await expect(loadSecretBox({ dataDir: dir, env: {} })).rejects.toThrow(/secret\.key: /);
  });
});

/**
 * Issue 17: pushed 2FA codes are not kept forever (docs/credentials.md, "Retention of pushed
 * codes"): a code a run used is deleted at once, the rest once older than
 * WREN_TOTP_RETENTION_MINUTES (the sweep calls deleteOlderThan).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushedCodeSource, type TotpCodeRecord } from '../../../src/credentials/index.js';
import { openStore, type Store } from '../../../src/store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'wren-totp-ret-'));
let store: Store;
beforeAll(async () => {
  store = await openStore({ dataDir: dir });
  await store.apiKeys.createOrganization({
    id: 'o_t',
    name: 't',
    createdAt: new Date().toISOString(),
  });
});
afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const code = (id: string, value: string, createdAt: Date): TotpCodeRecord => ({
  id,
  organizationId: 'o_t',
  totpIdentifier: 'ada@example.com',
  content: `Your code is ${value}`,
  code: value,
  otpType: 'totp',
  status: 'parsed',
  taskId: null,
  workflowId: null,
  workflowRunId: null,
  source: null,
  expiredAt: null,
  createdAt,
});

const listed = async () =>
  (await store.totpCodes.list({ organizationId: 'o_t' })).map((r) => r.code).sort();

describe('pushed code retention', () => {
  it('deletes codes older than the retention age, and only those', async () => {
    const now = Date.now();
    await store.totpCodes.insert(code('totp_1', '111111', new Date(now - 2 * 3_600_000)));
    await store.totpCodes.insert(code('totp_2', '222222', new Date(now - 10 * 60_000)));
    expect(await listed()).toEqual(['111111', '222222']);
    expect(await store.totpCodes.deleteOlderThan(new Date(now - 60 * 60_000))).toBe(1);
    expect(await listed()).toEqual(['222222']);
  });

  it('deletes a code as soon as a run used it', async () => {
    const source = pushedCodeSource({
      store: store.totpCodes,
      organizationId: 'o_t',
      totpIdentifier: 'ada@example.com',
      scope: { taskId: 'tsk_1', startedAt: new Date(Date.now() - 60_000) },
    });
    await store.totpCodes.insert(code('totp_3', '333333', new Date()));
    const poll = await source.poll({ runId: 'tsk_1' });
    expect(poll).toMatchObject({ status: 'code', value: '333333' });
    expect(await listed()).not.toContain('333333');
  });
});

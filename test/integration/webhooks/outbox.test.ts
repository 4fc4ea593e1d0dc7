import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/store/index.js';

const dataDir = mkdtempSync(join(tmpdir(), 'wren-outbox-'));
let a: Store;
let b: Store;
const T0 = '2026-01-01T00:00:00.000Z';
const at = (s: number) => new Date(Date.parse(T0) + s * 1000).toISOString();

beforeAll(async () => {
  // Two processes' worth of connections on one database file.
  a = await openStore({ dataDir });
  b = await openStore({ dataDir });
  await a.apiKeys.createOrganization({ id: 'o_1', name: 'one', createdAt: T0 });
  for (const [id, webhookUrl] of [
    ['tsk_1', 'http://127.0.0.1:9/hook'],
    ['tsk_2', null],
  ] as const) {
    await a.runs.insert({
      id,
      organizationId: 'o_1',
      engine: 'skyvern-1.0',
      runType: 'task_v1',
      status: 'queued',
      title: null,
      prompt: 'p',
      request: { prompt: 'p', engine: 'skyvern-1.0' },
      webhookUrl,
      createdAt: T0,
      modifiedAt: T0,
      queuedAt: T0,
    });
  }
});
afterAll(async () => {
  await a.close();
  await b.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('webhook outbox', () => {
  it('is written with the terminal status, once per status, only for runs with a webhook', async () => {
    expect(
      await a.runs.updateIf('tsk_1', ['queued'], { status: 'running', modifiedAt: at(1) }),
    ).not.toBeNull();
    expect(await a.results.deliveriesForRun('tsk_1')).toEqual([]);
    await a.runs.updateIf('tsk_1', ['running'], {
      status: 'failed',
      failureReason: 'x',
      modifiedAt: at(2),
    });
    await a.runs.updateIf('tsk_2', ['queued'], { status: 'canceled', modifiedAt: at(2) });
    // A compare-and-set that does not apply writes no delivery either.
    expect(
      await a.runs.updateIf('tsk_1', ['running'], { status: 'completed', modifiedAt: at(3) }),
    ).toBeNull();
    const rows = await a.results.deliveriesForRun('tsk_1');
    expect(rows).toMatchObject([
      {
        runStatus: 'failed',
        state: 'pending',
        attempts: 0,
        url: 'http://127.0.0.1:9/hook',
        nextAttemptAt: at(2),
      },
    ]);
    expect(await a.results.deliveriesForRun('tsk_2')).toEqual([]);
  });

  it('leases a due row to one process at a time; an expired lease can be taken over', async () => {
    expect(await a.results.claimDueDelivery('proc-a', at(1), at(100))).toBeNull(); // not due yet
    const first = await a.results.claimDueDelivery('proc-a', at(3), at(60));
    expect(first?.runId).toBe('tsk_1');
    expect(await b.results.claimDueDelivery('proc-b', at(4), at(60))).toBeNull();
    // proc-a dies; after its lease expires proc-b takes the row, and proc-a can no longer settle it.
    const taken = await b.results.claimDueDelivery('proc-b', at(61), at(120));
    expect(taken?.id).toBe(first?.id);
    const stale = await a.results.settleDelivery(first!.id, 'proc-a', {
      state: 'delivered',
      attempts: 1,
      nextAttemptAt: at(61),
      lastError: null,
      at: at(61),
    });
    expect(stale).toBe(false);
    expect(await b.results.setDeliveryPayload(first!.id, 'proc-b', '{"x":1}')).toBe(true);
    expect(await b.results.setDeliveryPayload(first!.id, 'proc-b', '{"x":2}')).toBe(false);
    expect(
      await b.results.settleDelivery(first!.id, 'proc-b', {
        state: 'pending',
        attempts: 1,
        nextAttemptAt: at(70),
        lastError: 'receiver answered HTTP 503',
        at: at(62),
      }),
    ).toBe(true);
    expect(await a.results.claimDueDelivery('proc-a', at(69), at(200))).toBeNull();
    const again = await a.results.claimDueDelivery('proc-a', at(70), at(200));
    expect(again).toMatchObject({
      attempts: 1,
      payload: '{"x":1}',
      lastError: 'receiver answered HTTP 503',
    });
  });
});

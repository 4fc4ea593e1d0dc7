/**
 * max_active_runs reads organizations.active_runs, which triggers on runs keep (migration 0013),
 * on SQLite and on PostgreSQL: inserts in an active status count, moves between active statuses
 * (queued → running → paused) do not change it, a finished run frees its place, and a refused
 * insert reports the organization's real count.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../../src/core/index.js';
import type { NewRun } from '../../../src/store/index.js';
import { throwawayStores } from '../../support/stores.js';

const stores = throwawayStores('wren-active-runs-');
afterAll(() => stores.close());

const at = () => new Date().toISOString();
const run = (id: string, organizationId: string, status: RunStatus = 'queued'): NewRun => ({
  id,
  organizationId,
  engine: 'skyvern-1.0',
  runType: 'task_v1',
  status,
  title: null,
  prompt: 'p',
  request: { prompt: 'p', engine: 'skyvern-1.0' },
  webhookUrl: null,
  createdAt: at(),
  modifiedAt: at(),
  queuedAt: at(),
});

describe.each(stores.kinds)('the active runs counter on %s', (_name, open) => {
  it('follows inserts and status changes, per organization', async () => {
    const store = await open();
    await store.apiKeys.createOrganization({ id: 'o_a', name: 'a', createdAt: at() });
    await store.apiKeys.createOrganization({ id: 'o_b', name: 'b', createdAt: at() });

    expect(await store.runs.insertWithinQuota(run('r1', 'o_a'), 3)).toBeNull();
    expect(await store.runs.insertWithinQuota(run('r2', 'o_a', 'created'), 3)).toBeNull();
    // A finished run inserted as such (e.g. an SDK action's record) takes no place.
    expect(await store.runs.insertWithinQuota(run('r3', 'o_a', 'completed'), 3)).toBeNull();
    expect(await store.runs.insertWithinQuota(run('r4', 'o_a'), 3)).toBeNull();
    expect(await store.runs.insertWithinQuota(run('r5', 'o_a'), 3)).toEqual({
      active: 3,
      limit: 3,
    });
    expect(await store.runs.getById('r5')).toBeNull();
    // Another organization has its own count.
    expect(await store.runs.insertWithinQuota(run('b1', 'o_b'), 1)).toBeNull();

    // Between active statuses: still three.
    await store.runs.updateIf('r1', ['queued'], { status: 'running', modifiedAt: at() });
    await store.runs.updateIf('r1', ['running'], { status: 'paused', modifiedAt: at() });
    expect(await store.runs.insertWithinQuota(run('r6', 'o_a'), 3)).toEqual({
      active: 3,
      limit: 3,
    });

    // A finished run frees its place; a refused compare-and-set changes nothing.
    await store.runs.updateIf('r1', ['paused'], { status: 'completed', modifiedAt: at() });
    await store.runs.updateIf('r1', ['paused'], { status: 'failed', modifiedAt: at() });
    expect(await store.runs.insertWithinQuota(run('r7', 'o_a'), 3)).toBeNull();
    expect(await store.runs.insertWithinQuota(run('r8', 'o_a'), 3)).toEqual({
      active: 3,
      limit: 3,
    });
    await store.runs.updateIf('r2', ['created'], { status: 'canceled', modifiedAt: at() });
    await store.runs.updateIf('r4', ['queued'], { status: 'timed_out', modifiedAt: at() });
    expect(await store.runs.insertWithinQuota(run('r9', 'o_a'), 3)).toBeNull();
    expect(await store.runs.insertWithinQuota(run('r10', 'o_a'), 2)).toEqual({
      active: 2,
      limit: 2,
    });
    expect(await store.runs.insertWithinQuota(run('b2', 'o_b'), 1)).toEqual({
      active: 1,
      limit: 1,
    });
  });
});

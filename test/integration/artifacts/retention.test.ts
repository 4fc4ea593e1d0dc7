/**
 * WREN_ARTIFACT_RETENTION_DAYS end to end: a server restarted on a data directory whose
 * artifacts are older than the setting deletes them (rows and files) when its worker starts,
 * keeps younger ones, and keeps the run itself; `0` keeps everything.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { EngineRegistry } from '../../../src/engines/registry.js';
import { engineFrom } from '../../support/engines.js';
import { isTerminalRun, startTestWren, type TestWren, waitForRun } from '../../support/wren.js';

const dataDir = mkdtempSync(join(tmpdir(), 'wren-retention-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const engines = () =>
  new EngineRegistry().register(
    engineFrom('skyvern-1.0', async (ctx) => {
      await ctx.artifacts?.put({ type: 'html_scrape', contentType: 'text/plain', bytes: 'page' });
      await ctx.artifacts?.put({
        type: 'screenshot_final',
        contentType: 'image/png',
        bytes: 'png',
      });
      return {
        outcome: { status: 'completed', output: null },
        errors: [],
        stepCount: 1,
        usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
      };
    }),
    { requiresModel: false },
  );

async function start(retentionDays: string): Promise<TestWren> {
  return startTestWren({
    engines: engines(),
    env: { WREN_ARTIFACT_RETENTION_DAYS: retentionDays },
    config: { dataDir },
  });
}

type Listed = { artifact_id: string; artifact_type: string; uri: string }[];

/** Moves an artifact's creation time into the past (test only; the product never does). */
function age(artifactId: string, days: number): void {
  const db = new BetterSqlite3(join(dataDir, 'wren.db'));
  try {
    const at = new Date(Date.now() - days * 86_400_000).toISOString();
    db.prepare('update artifacts set created_at = ? where id = ?').run(at, artifactId);
  } finally {
    db.close();
  }
}

describe('artifact retention setting', () => {
  it('deletes artifacts older than the setting at worker start, files included; 0 keeps all', async () => {
    let t = await start('30');
    const runId = (
      (await t.call('POST', '/v1/run/tasks', { prompt: 'p', engine: 'skyvern-1.0' })).body as {
        run_id: string;
      }
    ).run_id;
    await waitForRun(t, runId, isTerminalRun);
    const listed = (await t.call('GET', `/v1/runs/${runId}/artifacts`)).body as Listed;
    const old = listed.find((a) => a.artifact_type === 'html_scrape')!;
    const young = listed.find((a) => a.artifact_type === 'screenshot_final')!;
    await t.close();
    age(old.artifact_id, 3);
    age(young.artifact_id, 1);

    // 0 keeps everything, however old.
    t = await start('0');
    expect(((await t.call('GET', `/v1/runs/${runId}/artifacts`)).body as Listed).length).toBe(
      listed.length,
    );
    await t.close();

    // 2 days: the 3-day-old one goes (row and file) when the worker starts; the rest stays.
    t = await start('2');
    try {
      await expect
        .poll(
          async () =>
            ((await t.call('GET', `/v1/runs/${runId}/artifacts`)).body as Listed).map(
              (a) => a.artifact_id,
            ),
          { timeout: 10_000, interval: 50 },
        )
        .not.toContain(old.artifact_id);
      const after = (await t.call('GET', `/v1/runs/${runId}/artifacts`)).body as Listed;
      expect(after.map((a) => a.artifact_id)).toContain(young.artifact_id);
      expect(after).toHaveLength(listed.length - 1);
      expect(existsSync(old.uri.slice('file://'.length))).toBe(false);
      expect(existsSync(young.uri.slice('file://'.length))).toBe(true);
      const run = await t.call('GET', `/v1/runs/${runId}`);
      expect((run.body as { status: string }).status).toBe('completed');
    } finally {
      await t.close();
    }
  });
});

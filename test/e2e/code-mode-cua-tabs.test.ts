/**
 * Run with code for a computer-use engine across tabs and downloads (docs/code-mode.md
 * "Computer-use runs"), end to end through the HTTP API, real Chromium and the fake model speaking
 * OpenAI's computer tool: an openai-cua run clicks a target=_blank link by coordinates and fills
 * the order form in the tab it opened; another clicks a CSV download link. Each compiles, and
 * replays with the model refusing every call: completed, the same output, 0 calls, the site
 * receives the same order, and the replay's download holds the same bytes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BrowserManager } from '../../src/browser/index.js';
import {
  type AgentHarness,
  expectOneDownload,
  REFUSE_EVERY_CALL,
  replayWithoutModel,
  startAgentHarness,
} from '../support/agent-harness.js';
import { FIXTURES } from '../support/browser-harness.js';
import { type FakeRequest, imageSize } from '../support/fake-model/parse.js';
import { REPORT_CSV } from '../support/fixture-server.js';

type Point = { x: number; y: number };
type Act = Record<string, unknown>;
const VIEWPORT = { width: 1280, height: 720 };

let h: AgentHarness;
/** Centres of the elements the model clicks, in viewport CSS pixels, read off the real pages. */
let at: Record<'newOrder' | 'customer' | 'quantity' | 'place' | 'report', Point>;

async function measure(base: string): Promise<typeof at> {
  const manager = new BrowserManager(FIXTURES);
  const dir = await mkdtemp(path.join(tmpdir(), 'wren-measure-'));
  try {
    const run = await manager.openRunBrowser({ runDir: dir });
    const centre = async (selector: string): Promise<Point> => {
      const box = await run.page().locator(selector).boundingBox();
      if (!box) throw new Error(`no box for ${selector}`);
      return { x: Math.round(box.x + box.width / 2), y: Math.round(box.y + box.height / 2) };
    };
    await run.goto(`${base}/agent/orders.html`);
    const newOrder = await centre('a[target=_blank]');
    await run.goto(`${base}/agent/order-form.html`);
    const form = {
      customer: await centre('input[name=customer]'),
      quantity: await centre('input[name=quantity]'),
      place: await centre('button'),
    };
    await run.goto(`${base}/files.html`);
    const report = await centre('a[href$="report.csv"]');
    await run.close();
    return { newOrder, ...form, report };
  } finally {
    await manager.close();
    await rm(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  h = await startAgentHarness('openai/gpt-5.5');
  at = await measure(h.site.url);
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.fake.reset();
  h.site.clear();
});

/** A computer-use model acting by coordinates: one batch of actions per turn, then its answer. */
function byCoordinates(turns: ((click: (q: Point) => Act) => Act[])[], answer: string) {
  let turn = 0;
  return (req: FakeRequest) => {
    if (req.tools.length === 0) return REFUSE_EVERY_CALL; // no extraction or other call is expected
    // The GA tool declares no display: coordinates are in the screenshot's pixels.
    const shot = req.images.at(-1);
    const d = (shot && imageSize(shot.bytes)) || VIEWPORT;
    const click = (q: Point): Act => ({
      type: 'click',
      button: 'left',
      x: Math.round((q.x * d.width) / VIEWPORT.width),
      y: Math.round((q.y * d.height) / VIEWPORT.height),
    });
    const actions = turns[turn++];
    return actions ? { computerCalls: [{ actions: actions(click) }] } : { text: answer };
  };
}

const scriptOf = async (run: Record<string, unknown>) =>
  (await h.wren.call('GET', `/v1/runs/${run['run_id']}/script`)).body as {
    steps: Record<string, unknown>[];
    source: string;
  };

describe('run with code: computer-use runs across tabs and downloads', () => {
  it('compiles an openai-cua click into a new tab and the form filled there, and replays it with no model call', async () => {
    const order = () =>
      h.submit({
        engine: 'openai-cua',
        prompt: 'Place an order of 3 for Ada Lovelace.',
        url: `${h.site.url}/agent/orders.html`,
        run_with: 'code',
      });
    h.fake.setPolicy(
      byCoordinates(
        [
          (click) => [click(at.newOrder)],
          // The model waits for the new tab's page before acting in it.
          (click) => [
            { type: 'wait' },
            click(at.customer),
            { type: 'type', text: 'Ada Lovelace' },
            click(at.quantity),
            { type: 'type', text: '3' },
            click(at.place),
          ],
        ],
        'Ordered 3 for Ada Lovelace.',
      ),
    );
    const first = await h.waitForRun(await order());
    expect(first['failure_reason'] ?? null).toBeNull();
    expect(first['status']).toBe('completed');
    expect(first['output']).toEqual({ answer: 'Ordered 3 for Ada Lovelace.' });
    const ordered = [{ customer: 'Ada Lovelace', quantity: '3' }];
    expect(h.site.submissions('order').map((s) => s.fields)).toEqual(ordered);
    const script = await scriptOf(first);
    expect(script.steps.map((s) => s['kind'])).toEqual([
      'click',
      'wait_for_url',
      'fill',
      'fill',
      'click',
      'wait_for_url',
    ]);
    expect(script.steps[0]).toMatchObject({
      selector: 'role=link[name="Place a new order"]',
      opensTab: true,
    });
    expect(script.source).toContain('opensTab: true');

    const replay = await replayWithoutModel(h, order);
    expect(replay['output']).toEqual(first['output']);
    expect(h.site.submissions('order').map((s) => s.fields)).toEqual(ordered);
  });

  it('compiles an openai-cua click that downloads a CSV and replays it: the same file is saved', async () => {
    const download = () =>
      h.submit({
        engine: 'openai-cua',
        prompt: 'Download the CSV report.',
        url: `${h.site.url}/files.html`,
        run_with: 'code',
      });
    h.fake.setPolicy(byCoordinates([(click) => [click(at.report)]], 'Downloaded the report.'));
    const first = await h.waitForRun(await download());
    expect(first['failure_reason'] ?? null).toBeNull();
    expect(first['status']).toBe('completed');
    expect(first['downloaded_files']).toMatchObject([{ filename: 'report.csv' }]);
    const script = await scriptOf(first);
    expect(script.steps).toEqual([
      expect.objectContaining({
        kind: 'click',
        selector: 'role=link[name="Download report (CSV)"]',
        download: true,
      }),
    ]);

    const replay = await replayWithoutModel(h, download);
    expect(replay['output']).toEqual(first['output']);
    await expectOneDownload(replay, 'report.csv', REPORT_CSV);
  });
});

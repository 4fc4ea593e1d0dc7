/**
 * Run with code (docs/code-mode.md) across tabs and downloads, end to end through the HTTP API,
 * real Chromium and the fake model: a run that clicks a target=_blank link, fills the form in the
 * tab it opened and closes that tab compiles; so does a click that downloads a CSV. Each replays
 * with the fake model refusing every call: completed, the same output, 0 calls, the site receives
 * the same order and the replay's downloaded files hold the same bytes.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runScriptFile } from '../../src/cli/script-run.js';
import {
  type AgentHarness,
  actorReply,
  expectOneDownload,
  idOf,
  pageOf,
  REFUSE_EVERY_CALL,
  replayWithoutModel,
  roleOf,
  startAgentHarness,
} from '../support/agent-harness.js';
import { REPORT_CSV } from '../support/fixture-server.js';

let h: AgentHarness;
beforeAll(async () => {
  h = await startAgentHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.fake.reset();
  h.site.clear();
});

interface ScriptView {
  steps: Record<string, unknown>[];
  source: string;
}

const scriptOf = async (run: Record<string, unknown>) =>
  (await h.wren.call('GET', `/v1/runs/${run['run_id']}/script`)).body as ScriptView;

describe('run with code: tabs and downloads', () => {
  it('compiles a click into a new tab, a form there and closing the tab, and replays it with no model call', async () => {
    const order = () =>
      h.submit({
        engine: 'skyvern-1.0',
        prompt: 'Place an order of 3 for Ada Lovelace, then close the order tab.',
        url: `${h.site.url}/agent/orders.html`,
        run_with: 'code',
      });
    h.fake.setPolicy((req) => {
      const page = pageOf(req);
      const ordered = h.site.submissions('order').length > 0;
      const done = ordered && page.includes('Your orders');
      switch (roleOf(req)) {
        case 'verifier':
          return {
            json: { evidence: 'page', goal_achieved: done, missing: done ? '' : 'not yet' },
          };
        case 'actor':
          if (done) return actorReply([{ type: 'complete', answer: 'ordered' }]);
          if (page.includes('Received order')) return actorReply([{ type: 'close_tab', tab: 1 }]);
          if (page.includes('textbox "Customer"'))
            return actorReply([
              {
                type: 'input_text',
                id: idOf(page, 'textbox "Customer"'),
                text: 'Ada Lovelace',
                submit: false,
              },
              {
                type: 'input_text',
                id: idOf(page, 'spinbutton "Quantity"'),
                text: '3',
                submit: false,
              },
              { type: 'click', id: idOf(page, 'button "Place order"') },
            ]);
          return actorReply([{ type: 'click', id: idOf(page, 'link "Place a new order"') }]);
        default:
          return undefined;
      }
    });
    const first = await h.waitForRun(await order());
    expect(first['failure_reason'] ?? null).toBeNull();
    expect(first['status']).toBe('completed');
    expect(h.site.submissions('order').map((s) => s.fields)).toEqual([
      { customer: 'Ada Lovelace', quantity: '3' },
    ]);
    const script = await scriptOf(first);
    expect(script.steps.map((s) => s['kind'])).toEqual([
      'click',
      'wait_for_url',
      'fill',
      'fill',
      'click',
      'wait_for_url',
      'close_tab',
    ]);
    expect(script.steps[0]).toMatchObject({ opensTab: true });
    expect(script.source).toContain('opensTab: true');
    expect(script.source).toContain('await step.closeTab();');

    const replay = await replayWithoutModel(h, order);
    expect(replay['output']).toEqual(first['output']);
    expect(h.site.submissions('order').map((s) => s.fields)).toEqual([
      { customer: 'Ada Lovelace', quantity: '3' },
    ]);
  });

  // The agent clicks the link, or uses its own `download` of the element (recorded as a click).
  it.each([
    ['click', 'Download the CSV report.'],
    ['download', 'Save the CSV report.'],
  ] as const)(
    "compiles a %s that downloads a CSV and replays it: the file is in the replay's downloads",
    async (action, prompt) => {
      const download = () =>
        h.submit({
          engine: 'skyvern-1.0',
          prompt,
          url: `${h.site.url}/files.html`,
          run_with: 'code',
        });
      let clicked = false;
      h.fake.setPolicy((req) => {
        const page = pageOf(req);
        switch (roleOf(req)) {
          case 'verifier':
            return { json: { evidence: 'downloaded', goal_achieved: clicked, missing: '' } };
          case 'actor':
            if (clicked) return actorReply([{ type: 'complete', answer: 'downloaded' }]);
            clicked = true;
            return actorReply([
              {
                type: action,
                id: idOf(page, 'link "Download report (CSV)"'),
                // The download's schema (strict) has a url too: null when the id is given.
                ...(action === 'download' ? { url: null } : {}),
              },
            ]);
          default:
            return undefined;
        }
      });
      const first = await h.waitForRun(await download());
      expect(first['failure_reason'] ?? null).toBeNull();
      expect(first['status']).toBe('completed');
      const script = await scriptOf(first);
      expect(script.steps.map((s) => s['kind'])).toEqual(['click']);
      expect(script.steps[0]).toMatchObject({ download: true });
      expect(script.source).toContain('download: true');

      const replay = await replayWithoutModel(h, download);
      expect(replay['output']).toEqual(first['output']);
      expect(first['downloaded_files']).toMatchObject([{ filename: 'report.csv' }]);
      await expectOneDownload(replay, 'report.csv', REPORT_CSV);
    },
  );

  it('compiles a download of a URL from the prompt, replays it with no model call, also with another URL and standalone', async () => {
    const reportUrl = `${h.site.url}/api/download/report.csv`;
    const exportUrl = `${h.site.url}/api/download/export.json`;
    const download = (url: string) => () =>
      h.submit({
        engine: 'skyvern-1.0',
        prompt: `Download ${url} for me.`,
        url: `${h.site.url}/files.html`,
        run_with: 'code',
      });
    let fetched = false;
    h.fake.setPolicy((req) => {
      switch (roleOf(req)) {
        case 'verifier':
          return { json: { evidence: 'downloaded', goal_achieved: fetched, missing: '' } };
        case 'actor':
          if (fetched) return actorReply([{ type: 'complete', answer: 'downloaded' }]);
          fetched = true;
          return actorReply([{ type: 'download', id: null, url: reportUrl }]);
        default:
          return undefined;
      }
    });
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    const first = await h.waitForRun(await download(reportUrl)());
    expect(first['failure_reason'] ?? null).toBeNull();
    expect(first['status']).toBe('completed');
    expect(first['downloaded_files']).toMatchObject([
      { filename: 'report.csv', checksum: sha(REPORT_CSV) },
    ]);
    const script = (await h.wren.call('GET', `/v1/runs/${first['run_id']}/script`))
      .body as ScriptView & { parameters: Record<string, unknown>[] };
    expect(script.steps).toEqual([
      {
        kind: 'download',
        url: { param: 'download_url' },
        intention: 'download the file at the download_url',
      },
    ]);
    expect(script.parameters).toMatchObject([{ name: 'download_url' }]);
    expect(script.source).toContain(
      "await step.download(params.download_url, { intention: 'download the file at the download_url' });",
    );

    const replay = await replayWithoutModel(h, download(reportUrl));
    expect(replay['output']).toEqual(first['output']);
    expect(h.site.requests().filter((r) => r.path === '/api/download/report.csv')).toHaveLength(1);
    await expectOneDownload(replay, 'report.csv', REPORT_CSV);

    // Another URL in the prompt fills the template's hole: that file, still no model call.
    const other = await replayWithoutModel(h, download(exportUrl));
    const exported = JSON.stringify({ exported: true, rows: 3 });
    expect(other['downloaded_files']).toMatchObject([
      { filename: 'export.json', checksum: sha(exported) },
    ]);

    // The TypeScript form on its own (`wren script run`, the CLI's code): the file is saved into
    // the download folder with the same bytes, beside a file of that name that stays as it was.
    h.fake.reset();
    h.site.clear();
    h.fake.setPolicy(() => REFUSE_EVERY_CALL);
    const dir = mkdtempSync(join(tmpdir(), 'wren-script-dl-'));
    try {
      const file = join(dir, 'download.ts');
      // A cookie the page sets (as a sign-in would) goes with the fetch: the page's context.
      const goto = '  await page.goto(params.$startUrl ?? startUrl!);\n';
      expect(script.source).toContain(goto);
      writeFileSync(
        file,
        script.source.replace(
          goto,
          `${goto}  await page.evaluate(() => { document.cookie = 'probe=signed-in; path=/'; });\n`,
        ),
      );
      writeFileSync(join(dir, 'report.csv'), 'mine');
      const ran = await runScriptFile(file, {
        params: {},
        server: h.wren.url,
        apiKey: h.wren.apiKey,
        downloadDir: dir,
      });
      expect(ran.healed).toEqual([]);
      expect(readFileSync(join(dir, 'report.csv'), 'utf8')).toBe('mine');
      expect(readFileSync(join(dir, 'report (1).csv'), 'utf8')).toBe(REPORT_CSV);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(h.fake.requests).toHaveLength(0);
    const standalone = h.site.requests().filter((r) => r.path === '/api/download/report.csv');
    expect(standalone).toHaveLength(1);
    expect(standalone[0]?.headers['cookie']).toContain('probe=signed-in');
  });

  it('compiles back and reload and replays them with no model call', async () => {
    const browse = () =>
      h.submit({
        engine: 'skyvern-1.0',
        prompt: 'Look at the order form, go back to the orders and reload them.',
        url: `${h.site.url}/agent/orders.html`,
        run_with: 'code',
      });
    let stage: 'start' | 'form' | 'back' | 'done' = 'start';
    h.fake.setPolicy((req) => {
      const page = pageOf(req);
      switch (roleOf(req)) {
        case 'verifier':
          return { json: { evidence: 'page', goal_achieved: stage === 'done', missing: '' } };
        case 'actor':
          if (stage === 'start') {
            stage = 'form';
            return actorReply([
              { type: 'click', id: idOf(page, 'link "Open the order form here"') },
            ]);
          }
          if (stage === 'form' && page.includes('New order')) {
            stage = 'back';
            return actorReply([{ type: 'back' }]);
          }
          if (stage === 'back' && page.includes('Your orders')) {
            stage = 'done';
            return actorReply([{ type: 'reload' }]);
          }
          return actorReply([{ type: 'complete', answer: 'reloaded' }]);
        default:
          return undefined;
      }
    });
    const first = await h.waitForRun(await browse());
    expect(first['failure_reason'] ?? null).toBeNull();
    expect(first['status']).toBe('completed');
    const script = await scriptOf(first);
    expect(script.steps.map((s) => s['kind'])).toEqual([
      'click',
      'wait_for_url',
      'back',
      'wait_for_url',
      'reload',
    ]);
    expect(script.source).toContain('await page.goBack(');
    expect(script.source).toContain('await page.reload(');

    const replay = await replayWithoutModel(h, browse);
    expect(replay['output']).toEqual(first['output']);
    const seen = h.site.requests().map((r) => r.path);
    expect(seen.filter((p) => p === '/agent/order-form.html')).toHaveLength(1);
    // The start page, then the reload (going back may come from the back-forward cache).
    expect(seen.filter((p) => p === '/agent/orders.html').length).toBeGreaterThanOrEqual(2);
  });
});

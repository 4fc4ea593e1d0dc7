/**
 * docs/code-mode.md "What a script is": tabs, downloads and history compiled from recorded
 * trajectories (the e2e replays them in test/e2e/code-mode-tabs.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { compileScript, renderScript, type TrajectoryEntry } from '../../../src/scripts/index.js';

const A = 'https://shop.example/orders';
const B = 'https://shop.example/orders/new';

const entry = (e: Partial<TrajectoryEntry> & Pick<TrajectoryEntry, 'type'>): TrajectoryEntry => ({
  selector: null,
  element: null,
  ok: true,
  navigated: false,
  urlAfter: A,
  ...e,
});

const compile = (trajectory: TrajectoryEntry[], finalUrl = A) => {
  const r = compileScript({
    engine: 'skyvern-1.0',
    prompt: 'Do it.',
    startUrl: A,
    schema: null,
    output: null,
    trajectory,
    finalUrl,
    extraction: null,
  });
  if (!r.ok) throw new Error(r.reason);
  return r.body;
};

const link = { role: 'link', name: 'New order' };

describe('compiling tabs, downloads and history', () => {
  it('marks a click that opened the tab the run went on in, then waits for that page', () => {
    const body = compile(
      [
        entry({
          type: 'click',
          selector: 'role=link[name="New order"]',
          element: link,
          tabChanged: true,
          tabOpened: true,
          urlAfter: B,
          title: 'New order',
        }),
      ],
      B,
    );
    expect(body.steps).toEqual([
      {
        kind: 'click',
        selector: 'role=link[name="New order"]',
        intention: 'click the link "New order"',
        opensTab: true,
      },
      { kind: 'wait_for_url', urlPattern: B, intention: `reach ${B}` },
    ]);
    const source = renderScript(body, {
      scriptId: 's',
      revision: 1,
      runId: null,
      promptTemplate: 'Do it.',
    });
    expect(source).toContain(
      `await step.click('role=link[name="New order"]', { intention: 'click the link "New order"', opensTab: true });`,
    );
  });

  it('waits for the new tab even when it shows the same page pattern', () => {
    const body = compile([
      entry({ type: 'click', selector: 'a', tabChanged: true, tabOpened: true, urlAfter: A }),
    ]);
    expect(body.steps.map((s) => s.kind)).toEqual(['click', 'wait_for_url']);
  });

  it('finds a tab an action moved to but did not open by its URL', () => {
    const body = compile([
      entry({ type: 'click', selector: 'a', tabChanged: true, urlAfter: B, title: 'New order' }),
    ]);
    expect(body.steps[1]).toMatchObject({ kind: 'switch_tab', urlPattern: B, title: 'New order' });
  });

  it('compiles new_tab, switch_tab and close_tab', () => {
    const body = compile([
      entry({ type: 'new_tab', url: B, tabChanged: true, tabOpened: true, urlAfter: B }),
      entry({ type: 'switch_tab', tabChanged: true, urlAfter: A, title: 'Orders' }),
      entry({ type: 'switch_tab', tabChanged: true, urlAfter: B, title: 'New order' }),
      entry({ type: 'close_tab', tabChanged: true, urlAfter: A }),
    ]);
    expect(body.steps.map((s) => s.kind)).toEqual([
      'new_tab',
      'switch_tab',
      'switch_tab',
      'close_tab',
    ]);
    expect(body.steps[1]).toMatchObject({ urlPattern: A, title: 'Orders' });
  });

  it('marks a click that downloaded a file', () => {
    const body = compile([entry({ type: 'click', selector: 'a', download: true })]);
    expect(body.steps).toEqual([
      { kind: 'click', selector: 'a', intention: 'click the element', download: true },
    ]);
  });

  it('compiles a download of a URL the prompt gave as a step with the URL as a parameter', () => {
    const url = 'https://shop.example/exports/report.csv';
    const r = compileScript({
      engine: 'skyvern-1.0',
      prompt: `Download ${url} for me.`,
      startUrl: A,
      schema: null,
      output: null,
      trajectory: [entry({ type: 'download', url, download: true })],
      finalUrl: A,
      extraction: null,
    });
    if (!r.ok) throw new Error(r.reason);
    expect(r.body.steps).toEqual([
      {
        kind: 'download',
        url: { param: 'download_url' },
        intention: 'download the file at the download_url',
      },
    ]);
    expect(r.body.parameters).toEqual([
      { name: 'download_url', example: url, secret: false, source: 'prompt' },
    ]);
    expect(r.signature.promptTemplate).toBe('Download {download_url} for me.');
    const source = renderScript(r.body, {
      scriptId: 's',
      revision: 1,
      runId: null,
      promptTemplate: r.signature.promptTemplate,
    });
    expect(source).toContain(`  download_url: '${url}',`);
    expect(source).toContain(
      "await step.download(params.download_url, { intention: 'download the file at the download_url' });",
    );
  });

  it('writes a download URL the prompt did not give as it is, and keeps a secret a placeholder', () => {
    const url = `${A}/export.json`;
    const body = compile([entry({ type: 'download', url })]);
    expect(body.steps).toEqual([
      { kind: 'download', url: { literal: url }, intention: `download ${url}` },
    ]);
    expect(body.parameters).toEqual([]);
    const source = renderScript(body, {
      scriptId: 's',
      revision: 1,
      runId: null,
      promptTemplate: 'Do it.',
    });
    expect(source).toContain(`await step.download('${url}', { intention: 'download ${url}' });`);

    const secret = compile([entry({ type: 'download', url: '{{secret:export_link}}' })]);
    expect(secret.steps[0]).toMatchObject({ kind: 'download', url: { param: 'export_link' } });
    expect(secret.parameters).toEqual([
      { name: 'export_link', example: null, secret: true, placeholder: '{{secret:export_link}}' },
    ]);
    // A download the recorder saw with no URL cannot be repeated.
    const r = compileScript({
      engine: 'skyvern-1.0',
      prompt: 'Do it.',
      startUrl: A,
      schema: null,
      output: null,
      trajectory: [entry({ type: 'download' })],
      finalUrl: A,
      extraction: null,
    });
    expect(r).toEqual({ ok: false, reason: 'action 1 (download) has no URL' });
  });

  it('compiles back and reload, with a wait when the page changed', () => {
    const body = compile([
      entry({ type: 'click', selector: 'a', navigated: true, urlAfter: B }),
      entry({ type: 'back', navigated: true, urlAfter: A }),
      entry({ type: 'reload', urlAfter: A }),
    ]);
    expect(body.steps.map((s) => s.kind)).toEqual([
      'click',
      'wait_for_url',
      'back',
      'wait_for_url',
      'reload',
    ]);
  });

  it('leaves a run with an action that has no script form uncompiled', () => {
    const r = compileScript({
      engine: 'skyvern-1.0',
      prompt: 'Do it.',
      startUrl: A,
      schema: null,
      output: null,
      trajectory: [entry({ type: 'other' })],
      finalUrl: A,
      extraction: null,
    });
    expect(r.ok).toBe(false);
  });
});

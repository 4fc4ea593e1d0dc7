/**
 * bench/observe: Wren's observation vs Playwright's snapshots on the fixture gallery.
 *
 *   npm run bench:observe            (or: node --import tsx bench/observe.ts [runs])
 *
 * Per page, in the same browser and run: median time and o200k tokens of
 *   - wren      RunBrowser.observe() (no screenshot)
 *   - ai        page.ariaSnapshot({ mode: 'ai' })  (refs, iframes inlined)
 *   - default   page.locator('body').ariaSnapshot()
 * and the interactable-element recall of wren and ai: the share of ground-truth interactable
 * elements that a handle printed in the text resolves to. The default snapshot prints no handles,
 * so it has no recall. Ground truth is computed independently of Wren's heuristics: native
 * controls, ARIA widget roles, onclick/tabindex/contenteditable/draggable attributes,
 * cursor:pointer regions, plus elements with click/mouse/pointer/touch/key/drag listeners found
 * through the DevTools protocol (DOMDebugger.getEventListeners, main frame), with delegation
 * resolved: jQuery's delegated selectors mark the descendants they match (and not the node the
 * delegating handler sits on), React props (`__reactProps$…` onClick…), Vue invokers (`_vei`)
 * and Svelte 5 delegated handlers mark their nodes, and framework roots (React's container, a
 * node listening to a dozen event types, Svelte's mount target) are not targets themselves.
 * The widget gallery (test/fixtures/sites/widgets/) is its own page group.
 */
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { ElementHandle, Frame, Page } from 'playwright-core';
import { BrowserManager, type RunBrowser } from '../src/browser/index.js';
import { resolveElement } from '../src/browser/observe/capture.js';
import { startFixtureServer } from '../test/support/fixture-server.js';

process.env['WREN_ALLOW_PRIVATE_NETWORKS'] = 'true';

const GALLERY = [
  'index.html',
  'form.html',
  'custom-select.html',
  'datepicker.html',
  'autocomplete.html',
  'frames.html',
  'shadow.html',
  'modal.html',
  'files.html',
  'infinite.html',
  'hover.html',
  'dragdrop.html',
  'editor.html',
  'table.html',
  'clickables.html',
];
const WIDGETS = [
  'widgets/datepicker.html',
  'widgets/feed.html',
  'widgets/inbox.html',
  'widgets/textarea.html',
  'widgets/svg.html',
  'widgets/jquery-rows.html',
  'widgets/react-list.html',
  'widgets/vue-list.html',
  'widgets/svelte-list.html',
  'widgets/autocomplete.html',
  'widgets/delayed-menu.html',
  'widgets/multi-select.html',
  'widgets/attr-clicks.html',
  'widgets/reveal.html',
];
const BIG = ['generated/big-form.html', 'generated/huge.html'];
const BUDGET = 25_000;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Marks ground-truth interactables with data-wren-gt in one frame; returns their count. */
async function markGroundTruth(frame: Frame): Promise<number> {
  return frame.evaluate((tag) => {
    const ROLES = new Set([
      'button',
      'link',
      'checkbox',
      'radio',
      'switch',
      'tab',
      'menuitem',
      'menuitemcheckbox',
      'menuitemradio',
      'option',
      'combobox',
      'textbox',
      'searchbox',
      'slider',
      'spinbutton',
      'treeitem',
    ]);
    const visible = (e: Element) => {
      const cs = getComputedStyle(e);
      if (cs.visibility === 'hidden' || !e.checkVisibility()) return false;
      const r = e.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) return true;
      const ls = (e as HTMLInputElement).labels;
      return (
        !!ls && ls.length > 0 && Array.from(ls).some((l) => l.getBoundingClientRect().width > 0)
      );
    };
    // A pointer cursor that appears only on hover (`.icon:hover { cursor: pointer }`) is CSS
    // truth too: such elements are read from the stylesheets' own rules.
    const hoverPointer: string[] = [];
    const scan = (rules: CSSRuleList) => {
      for (const r of Array.from(rules)) {
        const sel = (r as CSSStyleRule).selectorText;
        if (sel?.includes(':hover') && (r as CSSStyleRule).style.cursor === 'pointer') {
          for (const part of sel.split(',')) {
            if (part.includes(':hover')) hoverPointer.push(part.replace(/:hover/g, '').trim());
          }
        }
        if ((r as CSSGroupingRule).cssRules) scan((r as CSSGroupingRule).cssRules);
      }
    };
    for (const sh of Array.from(document.styleSheets)) {
      try {
        scan(sh.cssRules);
      } catch {
        // Cross-origin sheet.
      }
    }
    const onHover = (e: Element) => {
      try {
        return hoverPointer.some((sel) => e.matches(sel));
      } catch {
        return false;
      }
    };
    const all: Element[] = [];
    const collect = (root: ParentNode) => {
      for (const e of Array.from(root.querySelectorAll('*'))) {
        all.push(e);
        if (e.shadowRoot) collect(e.shadowRoot);
      }
    };
    collect(document);
    let n = 0;
    for (const e of all) {
      const t = e.localName;
      const role = e.getAttribute('role') ?? '';
      const parent = e.parentElement ?? (e.getRootNode() as ShadowRoot).host ?? null;
      const pointer =
        getComputedStyle(e).cursor === 'pointer' &&
        !(parent && getComputedStyle(parent).cursor === 'pointer') &&
        t !== 'label' &&
        t !== 'html' &&
        t !== 'body';
      const interactive =
        (t === 'a' && e.hasAttribute('href')) ||
        t === 'button' ||
        t === 'select' ||
        t === 'textarea' ||
        t === 'summary' ||
        (t === 'input' && (e as HTMLInputElement).type !== 'hidden') ||
        ROLES.has(role) ||
        e.hasAttribute('onclick') ||
        (e.hasAttribute('tabindex') && Number(e.getAttribute('tabindex')) >= 0 && t !== 'body') ||
        ((e as HTMLElement).isContentEditable && !e.parentElement?.isContentEditable) ||
        e.getAttribute('draggable') === 'true' ||
        pointer ||
        (hoverPointer.length > 0 && onHover(e)) ||
        e.hasAttribute('data-wren-listener');
      if (!interactive || !visible(e)) continue;
      // Controls inside a native control (an img inside a link) are the same target.
      if (parent?.closest('a[href],button,select,[role=button],[role=link],[role=option]'))
        continue;
      e.setAttribute(tag, String(++n));
    }
    // The innermost element carrying a handler stands for a wrapper that only holds it (a
    // calendar cell with a listener around its day link): one target, not two.
    for (const e of Array.from(document.querySelectorAll(`[${tag}]`))) {
      const inner = e.querySelectorAll(`[${tag}]`);
      if (inner.length === 1 && inner[0]!.textContent?.trim() === e.textContent?.trim()) {
        e.removeAttribute(tag);
        n--;
      }
    }
    return n;
  }, 'data-wren-gt');
}

const LISTENER_TYPES = [
  'click',
  'mousedown',
  'mouseup',
  'pointerdown',
  'pointerup',
  'touchstart',
  'touchend',
  'keydown',
  'dblclick',
  'contextmenu',
  'dragover',
  'drop',
];

/** Marks main-frame elements with pointer/drag listeners (DOMDebugger.getEventListeners). */
async function markListeners(page: Page): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  try {
    const { result } = await cdp.send('Runtime.evaluate', {
      expression: 'Array.from(document.querySelectorAll("body *"))',
    });
    if (!result.objectId) return;
    const { result: props } = await cdp.send('Runtime.getProperties', {
      objectId: result.objectId,
      ownProperties: true,
    });
    if (props.length > 3000) return;
    for (const p of props) {
      const objectId = p.value?.objectId;
      if (!objectId || p.value?.subtype !== 'node') continue;
      const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId });
      if (listeners.some((l) => LISTENER_TYPES.includes(l.type))) {
        const types = new Set(listeners.map((l) => l.type)).size;
        await cdp.send('Runtime.callFunctionOn', {
          objectId,
          functionDeclaration: `function () { this.setAttribute("data-wren-listener", "${types}"); }`,
        });
      }
    }
    await cdp.send('Runtime.evaluate', { expression: `(${resolveDelegation.toString()})()` });
  } finally {
    await cdp.detach().catch(() => {});
  }
}

/**
 * In the page, after the CDP pass: replaces listener marks of delegating nodes by marks on the
 * nodes they serve, from each library's own records (see the header).
 */
function resolveDelegation(): void {
  const MARK = 'data-wren-listener';
  const w = window as unknown as Record<string, unknown>;
  type Handler = { selector?: string };
  const jq = w['jQuery'] as
    | { _data(e: unknown, k: string): Record<string, Handler[]> | undefined }
    | undefined;
  const TYPES = ['click', 'mousedown', 'mouseup', 'pointerdown', 'pointerup', 'dblclick'];
  const REACT = ['onClick', 'onMouseDown', 'onMouseUp', 'onPointerDown', 'onPointerUp'];
  const all = [document as unknown as Element, ...Array.from(document.querySelectorAll('*'))];
  const libraryMarked: Element[] = [];
  for (const e of all) {
    const rec = e as unknown as Record<string | symbol, unknown>;
    const events = jq?._data(e, 'events');
    if (events) {
      let direct = false;
      for (const t of TYPES) {
        for (const h of events[t] ?? []) {
          if (!h.selector) direct = true;
          else
            for (const d of Array.from(e.querySelectorAll(h.selector))) d.setAttribute(MARK, '1');
        }
      }
      if (!direct && e.getAttribute?.(MARK)) e.removeAttribute(MARK);
    }
    const keys = e instanceof Element ? Object.keys(e) : [];
    if (keys.some((k) => k.startsWith('__reactContainer$'))) e.removeAttribute(MARK);
    const props = keys.find((k) => k.startsWith('__reactProps$'));
    const p = props ? (rec[props] as Record<string, unknown>) : null;
    const vei = rec['_vei'] as Record<string, { value?: unknown }> | undefined;
    const svelte = e instanceof Element ? Object.getOwnPropertySymbols(e) : [];
    if (
      (p && REACT.some((k) => typeof p[k] === 'function')) ||
      (vei &&
        Object.entries(vei).some(
          ([k, v]) => /^on(Click|Mousedown|Pointerdown)$/.test(k) && v?.value,
        )) ||
      svelte.some(
        (s) => typeof (rec[s] as Record<string, unknown> | null)?.['click'] === 'function',
      )
    ) {
      e.setAttribute(MARK, '1');
      libraryMarked.push(e);
    }
  }
  // Roots: a dozen event types at once, or a listener whose only job is the library handlers below.
  for (const e of Array.from(document.querySelectorAll(`[${MARK}]`))) {
    if (Number(e.getAttribute(MARK)) >= 12) e.removeAttribute(MARK);
    else if (
      w['__svelte'] &&
      !libraryMarked.includes(e) &&
      libraryMarked.some((d) => e.contains(d))
    ) {
      e.removeAttribute(MARK);
    }
  }
}

async function groundTruth(page: Page): Promise<number> {
  await markListeners(page);
  let total = 0;
  for (const f of page.frames()) total += await markGroundTruth(f);
  return total;
}

async function gtOf(h: ElementHandle | null): Promise<string | null> {
  if (!h) return null;
  const tag = await h
    .evaluate((e) => {
      const el = e as Element;
      return (
        el.getAttribute('data-wren-gt') ??
        (el as HTMLLabelElement).control?.getAttribute('data-wren-gt') ??
        null
      );
    })
    .catch(() => null);
  if (tag === null) return null;
  const frame = await h.ownerFrame();
  return `${frame?.url() ?? ''}#${tag}`;
}

async function recallWren(run: RunBrowser, text: string): Promise<Set<string>> {
  const hit = new Set<string>();
  for (const m of text.matchAll(/\[(\d+)\]/g)) {
    const ref = run.registry.ref(Number(m[1]));
    if (!ref) continue;
    const id = await gtOf(await resolveElement(ref).catch(() => null));
    if (id) hit.add(id);
  }
  return hit;
}

async function recallAi(page: Page, text: string): Promise<Set<string>> {
  const hit = new Set<string>();
  for (const m of text.matchAll(/\[ref=([a-z0-9]+)\]/g)) {
    const h = await page
      .getByRef(m[1]!)
      .elementHandle({ timeout: 500 })
      .catch(() => null);
    const id = await gtOf(h);
    if (id) hit.add(id);
  }
  return hit;
}

interface Row {
  page: string;
  gt: number;
  wren: { ms: number; tokens: number; recall: number };
  ai: { ms: number; tokens: number; recall: number };
  def: { ms: number; tokens: number };
  budget?: { ms: number; tokens: number; viewportKept: boolean };
}

async function measure(
  run: RunBrowser,
  server: { url: string },
  pagePath: string,
  runs: number,
): Promise<Row> {
  await run.goto(`${server.url}/${pagePath}`);
  const page = run.page();
  await page.waitForLoadState('load');
  await Promise.all(page.frames().map((f) => f.waitForLoadState('load')));
  if (pagePath.endsWith('-list.html')) {
    await page.waitForFunction(() => document.body.textContent?.includes('Project Alpha'));
  }
  if (pagePath === 'infinite.html' || pagePath === 'table.html') {
    await page.waitForFunction(
      () =>
        document.body.textContent?.includes('Item 20') ||
        document.body.textContent?.includes('Customer 10'),
    );
  }
  const gt = await groundTruth(page);
  const times = { wren: [] as number[], ai: [] as number[], def: [] as number[] };
  let wrenText = '';
  let aiText = '';
  let defText = '';
  // Warm-up, then interleaved measured rounds.
  await run.observe();
  await page.ariaSnapshot({ mode: 'ai' });
  await page.locator('body').ariaSnapshot();
  for (let i = 0; i < runs; i++) {
    let t = performance.now();
    wrenText = (await run.observe()).text;
    times.wren.push(performance.now() - t);
    t = performance.now();
    aiText = await page.ariaSnapshot({ mode: 'ai' });
    times.ai.push(performance.now() - t);
    t = performance.now();
    defText = await page.locator('body').ariaSnapshot();
    times.def.push(performance.now() - t);
  }
  const wrenHit = await recallWren(run, wrenText);
  // Refs resolve against the latest AI snapshot of each frame.
  aiText = await page.ariaSnapshot({ mode: 'ai' });
  const aiHit = await recallAi(page, aiText);
  const row: Row = {
    page: pagePath,
    gt,
    wren: {
      ms: median(times.wren),
      tokens: countTokens(wrenText),
      recall: gt ? wrenHit.size / gt : 1,
    },
    ai: { ms: median(times.ai), tokens: countTokens(aiText), recall: gt ? aiHit.size / gt : 1 },
    def: { ms: median(times.def), tokens: countTokens(defText) },
  };
  if (pagePath.includes('huge') || pagePath.includes('big-form')) {
    const bt: number[] = [];
    let text = '';
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      text = (await run.observe({ maxTokens: BUDGET })).text;
      bt.push(performance.now() - t);
    }
    const first = pagePath.includes('huge') ? 'Paragraph 0.0 of the archive' : '[';
    row.budget = { ms: median(bt), tokens: countTokens(text), viewportKept: text.includes(first) };
  }
  return row;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const f0 = (x: number) => x.toFixed(1);

async function main() {
  const runs = Number(process.argv[2] ?? 7);
  const server = await startFixtureServer();
  const manager = new BrowserManager({ egress: { allowPrivateNetworks: true } });
  const run = await manager.openRunBrowser({ runDir: '/tmp/wren-bench-observe' });
  const rows: Row[] = [];
  try {
    for (const p of [...GALLERY, ...WIDGETS, ...BIG]) {
      rows.push(
        await measure(
          run,
          server,
          p,
          p.startsWith('generated') ? Math.max(3, Math.ceil(runs / 2)) : runs,
        ),
      );
      process.stderr.write(`measured ${p}\n`);
    }
  } finally {
    await manager.close();
    await server.close();
  }
  const out: string[] = [];
  out.push(
    '| page | interactables | wren ms | ai ms | default ms | wren tokens | ai tokens | default tokens | wren recall | ai recall |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const r of rows) {
    out.push(
      `| ${r.page} | ${r.gt} | ${f0(r.wren.ms)} | ${f0(r.ai.ms)} | ${f0(r.def.ms)} | ${r.wren.tokens} | ${r.ai.tokens} | ${r.def.tokens} | ${pct(r.wren.recall)} | ${pct(r.ai.recall)} |`,
    );
  }
  const group = (name: string, rs: Row[]) => {
    const w = rs.reduce((a, r) => a + r.wren.ms, 0);
    const a = rs.reduce((s, r) => s + r.ai.ms, 0);
    const wt = rs.reduce((s, r) => s + r.wren.tokens, 0);
    const at = rs.reduce((s, r) => s + r.ai.tokens, 0);
    return `| ${name} | ${f0(w)} | ${f0(a)} | ${(w / a).toFixed(2)}× | ${wt} | ${at} | ${(wt / at).toFixed(2)}× | ${pct(Math.min(...rs.map((r) => r.wren.recall)))} |`;
  };
  out.push(
    '',
    '| group (sum of medians) | wren ms | ai ms | time ratio | wren tokens | ai tokens | token ratio | min wren recall |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    group(
      'gallery (15 pages)',
      rows.filter((r) => GALLERY.includes(r.page)),
    ),
    group(
      `widget gallery (${WIDGETS.length} pages)`,
      rows.filter((r) => WIDGETS.includes(r.page)),
    ),
    group(
      '2,000-element form/table',
      rows.filter((r) => r.page.includes('big-form')),
    ),
    group(
      '15,000-node page',
      rows.filter((r) => r.page.includes('huge')),
    ),
    group('all', rows),
    '',
    `| budget mode (maxTokens ${BUDGET}) | ms | tokens | viewport content kept |`,
    '|---|---:|---:|---|',
  );
  for (const r of rows.filter((x) => x.budget)) {
    out.push(
      `| ${r.page} | ${f0(r.budget!.ms)} | ${r.budget!.tokens} | ${r.budget!.viewportKept ? 'yes' : 'NO'} |`,
    );
  }
  console.log(out.join('\n'));
}

await main();

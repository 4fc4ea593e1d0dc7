/**
 * observePage: capture (I/O) → renderTree (pure) → Observation, with optional screenshots and an
 * id overlay for vision models.
 */
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { Page } from 'playwright-core';
import { capturePage, type ElementRegistry } from './capture.js';
import { type ElementInfo, renderTree } from './render.js';

export interface ObserveOptions {
  /** Summarise content far from the viewport until the text fits this many o200k tokens. */
  maxTokens?: number;
  /** Viewport PNG in `screenshot`. */
  screenshot?: boolean;
  /** Draw element ids on the screenshot(s). */
  overlay?: boolean;
  /** Extra screenshots, each one viewport further down (scroll restored afterwards). */
  maxScreenshotScrolls?: number;
  /** Longest text kept per text node. Default 2000. */
  maxTextLength?: number;
  /** Options listed per native select. Default 30. */
  maxOptions?: number;
}

interface InternalOptions extends ObserveOptions {
  previousIds: ReadonlySet<number> | null;
  /** Nothing is marked new on the first observation of a document (after navigation). */
  previousDocument: { page: Page; doc: string } | null;
  /** Tab list, given the active tab's title from the capture. */
  tabs: (
    activeTitle: string,
  ) => Promise<{ index: number; url: string; title: string; active: boolean }[]>;
}

export class Observation {
  private tokenCache: number | undefined;

  constructor(
    /** The page as the model reads it. */
    readonly text: string,
    readonly url: string,
    readonly title: string,
    readonly tabs: { index: number; url: string; title: string; active: boolean }[],
    /** Every captured interactable element by id (also those elided by the budget). */
    readonly elements: Map<number, ElementInfo>,
    /** Ids that appeared since the previous observation (marked `*` in the text). */
    readonly newIds: number[],
    /** `@uN` aliases of long link URLs printed in the text. */
    readonly urlMap: Record<string, string>,
    readonly viewport: { width: number; height: number },
    readonly scroll: { x: number; y: number; width: number; height: number },
    readonly frameErrors: { url: string; error: string }[],
    readonly elidedLines: number,
    readonly durationMs: number,
    readonly screenshot: Buffer | null,
    readonly scrolledScreenshots: Buffer[],
    /** Token of the main document; changes on navigation. */
    readonly documentId: string,
  ) {}

  /** o200k token count of `text` (computed on first use). */
  get tokens(): number {
    if (this.tokenCache === undefined) this.tokenCache = countTokens(this.text);
    return this.tokenCache;
  }

  get allIds(): Set<number> {
    return new Set(this.elements.keys());
  }

  /** Replaces `@uN` aliases in model output by the full URLs. */
  expandUrls(text: string): string {
    return text.replace(/@u\d+/g, (m) => this.urlMap[m] ?? m);
  }
}

const OVERLAY_ID = '__wren_overlay__';

async function drawOverlay(page: Page, elements: Iterable<ElementInfo>): Promise<void> {
  const boxes = [...elements]
    .filter((e) => e.inViewport && e.box)
    .map((e) => ({ id: e.id, ...e.box! }));
  await page.evaluate(
    ([id, items]) => {
      const layer = document.createElement('div');
      layer.id = id;
      layer.style.cssText =
        'position:fixed;inset:0;pointer-events:none;z-index:2147483647;font:bold 11px monospace';
      for (const b of items) {
        const r = document.createElement('div');
        r.style.cssText = `position:absolute;left:${b.x}px;top:${b.y}px;width:${b.width}px;height:${b.height}px;outline:2px solid #e6007a;`;
        const tag = document.createElement('span');
        tag.textContent = String(b.id);
        tag.style.cssText =
          'position:absolute;left:-2px;top:-14px;background:#e6007a;color:#fff;padding:0 2px;line-height:13px';
        r.appendChild(tag);
        layer.appendChild(r);
      }
      document.documentElement.appendChild(layer);
    },
    [OVERLAY_ID, boxes] as const,
  );
}

async function removeOverlay(page: Page): Promise<void> {
  await page.evaluate((id) => document.getElementById(id)?.remove(), OVERLAY_ID).catch(() => {});
}

export async function observePage(
  page: Page,
  registry: ElementRegistry,
  opts: InternalOptions,
): Promise<Observation> {
  const started = performance.now();
  const cap = await capturePage(page, registry, {
    maxTextLength: opts.maxTextLength ?? 2000,
    maxOptions: opts.maxOptions ?? 30,
  });
  const viewport = { width: cap.main.viewportWidth, height: cap.main.viewportHeight };
  const rendered = renderTree(cap.root, {
    viewport,
    pageUrl: cap.main.url,
    previousIds:
      opts.previousDocument?.page === page && opts.previousDocument.doc === cap.main.doc
        ? opts.previousIds
        : null,
    ...(opts.maxTokens !== undefined ? { maxTokens: opts.maxTokens, countTokens } : {}),
  });
  const durationMs = performance.now() - started;

  let screenshot: Buffer | null = null;
  const scrolled: Buffer[] = [];
  if (opts.screenshot || opts.overlay || (opts.maxScreenshotScrolls ?? 0) > 0) {
    if (opts.overlay) await drawOverlay(page, rendered.elements.values());
    try {
      screenshot = await page.screenshot({ type: 'png' });
    } finally {
      if (opts.overlay) await removeOverlay(page);
    }
    const scrolls = Math.min(opts.maxScreenshotScrolls ?? 0, 20);
    if (scrolls > 0) {
      const start = await page.evaluate(() => [window.scrollX, window.scrollY] as const);
      for (let i = 1; i <= scrolls; i++) {
        const moved = await page.evaluate(() => {
          const before = window.scrollY;
          window.scrollBy(0, window.innerHeight);
          return window.scrollY !== before;
        });
        if (!moved) break;
        scrolled.push(await page.screenshot({ type: 'png' }));
      }
      await page.evaluate(([x, y]) => window.scrollTo(x, y), start);
    }
  }

  const tabs = await opts.tabs(cap.main.title);
  // With several tabs open the model needs to know which one it is looking at.
  const tabLine =
    tabs.length > 1
      ? `Tabs: ${tabs.map((t) => `${t.active ? '*' : ''}${t.index} ${JSON.stringify(t.title || t.url)}`).join(', ')}\n`
      : '';
  return new Observation(
    tabLine + rendered.text,
    cap.main.url,
    cap.main.title,
    tabs,
    rendered.elements,
    rendered.newIds,
    rendered.urlMap,
    viewport,
    {
      x: cap.main.scrollX,
      y: cap.main.scrollY,
      width: cap.main.scrollWidth,
      height: cap.main.scrollHeight,
    },
    cap.frameErrors,
    rendered.elidedLines,
    durationMs,
    screenshot,
    scrolled,
    cap.main.doc,
  );
}

/**
 * AI primitives on a Playwright page the caller holds (`wren.sessions.page(id)` or `wren.page(p)`):
 * `act`, `extract`, `observe`, `validate`, `locate`, next to every Playwright method. Each goes to
 * Wren's run_action (HTTP or in-process), which records it as an `sdk_action` run; `act` and
 * `locate` first look in the selector cache and, on a hit, replay with Playwright here: no model,
 * no server round trip. A cached selector that no longer finds one element falls back to the model
 * once and the cache is refreshed.
 *
 * Client path: only type imports of playwright-core and zod (docs/sdk.md).
 */
import type { Locator, Page } from 'playwright-core';
import { readyToClick } from '../scripts/index.js';
import type { CachedSelection, SelectorCache } from './selector-cache.js';

/** What run_action answers. */
export interface SdkActionReply {
  workflow_run_id: string;
  result: unknown;
  details?: Record<string, unknown>;
}

export interface SdkActionBody {
  url: string;
  browser_session_id?: string | null;
  browser_address?: string | null;
  action: Record<string, unknown>;
}

export interface PrimitiveBackend {
  runSdkAction(body: SdkActionBody): Promise<SdkActionReply>;
}

export interface ActResult {
  action: string;
  selector: string | null;
  value: string | null;
  /** Replayed from the cache (no model call). */
  cached: boolean;
  /** The sdk_action run that did it (null when replayed from the cache). */
  runId: string | null;
}

export interface ObservedElement {
  selector: string;
  description: string;
  action: string;
}

/** A zod schema (anything with safeParse/parse) or a JSON Schema object. */
export type SchemaLike<T> =
  | { parse(value: unknown): T; safeParse(value: unknown): unknown }
  | Record<string, unknown>;

export interface AiMethods {
  /** One action in words, e.g. `page.act('click the Sign up button')`. */
  act(instruction: string, options?: { data?: unknown }): Promise<ActResult>;
  /** Data from the page, valid against `schema` (zod: parsed and typed). */
  extract<T = unknown>(options: { prompt: string; schema?: SchemaLike<T> }): Promise<T>;
  /** Candidate elements for an instruction, with selectors; nothing is done. */
  observe(instruction: string): Promise<ObservedElement[]>;
  /** Whether a condition holds on the page now. */
  validate(condition: string): Promise<boolean>;
  /** A stable selector for the element described. */
  locate(instruction: string): Promise<string>;
  /** The selector cache these calls use (shared by the Wren instance). */
  readonly selectorCache: SelectorCache;
}

export type AiPage = Page & AiMethods;

export interface AiPageOptions {
  backend: PrimitiveBackend;
  cache: SelectorCache;
  /** Where the server finds this page's browser. */
  target: { browser_session_id?: string | null; browser_address?: string | null };
  /** Longest wait for a cached selector to attach before asking the model, ms. Default 1000. */
  cachedWaitMs?: number;
}

/** The single element `selector` matches now (waiting up to `waitMs`), or null. */
async function single(page: Page, selector: string, waitMs: number): Promise<Locator | null> {
  const locator = page.locator(selector);
  try {
    let n = await locator.count();
    if (n === 0 && waitMs > 0) {
      await locator
        .first()
        .waitFor({ state: 'attached', timeout: waitMs })
        .catch(() => {});
      n = await locator.count();
    }
    return n === 1 ? locator : null;
  } catch {
    return null; // a selector this Playwright cannot parse is as good as a miss
  }
}

/** Replays a cached action with Playwright; false when the element is not (uniquely) there. */
async function replay(page: Page, entry: CachedSelection, waitMs: number): Promise<boolean> {
  if (entry.action === 'press' && !entry.selector) {
    await page.keyboard.press(entry.value || 'Enter');
    return true;
  }
  if (!entry.selector) return false;
  const el = await single(page, entry.selector, waitMs);
  if (!el) return false;
  const timeout = 5_000;
  try {
    switch (entry.action) {
      case 'click':
        // Playwright's actionability wait (two stable animation frames) is most of a cached
        // click's time; when the element is visibly there, enabled and first under its centre
        // (what that wait establishes), the click goes ahead at once.
        await el.click({ timeout, force: await readyToClick(el) });
        return true;
      case 'input_text':
        await el.fill(entry.value ?? '', { timeout });
        return true;
      case 'select_option':
        await el.selectOption(entry.value ?? '', { timeout });
        return true;
      case 'check':
        await el.check({ timeout });
        return true;
      case 'uncheck':
        await el.uncheck({ timeout });
        return true;
      case 'press':
        await el.press(entry.value || 'Enter', { timeout });
        return true;
      case 'locate':
        return true;
      default:
        return false;
    }
  } catch {
    return false;
  }
}

function isZod<T>(
  schema: SchemaLike<T>,
): schema is { parse(value: unknown): T; safeParse(value: unknown): unknown } {
  return typeof (schema as { safeParse?: unknown }).safeParse === 'function';
}

async function jsonSchemaOf<T>(
  schema: SchemaLike<T> | undefined,
): Promise<Record<string, unknown> | null> {
  if (!schema) return null;
  if (!isZod(schema)) return schema;
  const { z } = await import('zod');
  return z.toJSONSchema(schema as never, { io: 'input' }) as Record<string, unknown>;
}

/** Adds the AI methods to `page` (a Proxy: every Playwright method still works). */
export function aiPage(page: Page, options: AiPageOptions): AiPage {
  const { backend, cache, target } = options;
  const waitMs = options.cachedWaitMs ?? 1_000;
  const call = (action: Record<string, unknown>) =>
    backend.runSdkAction({ url: page.url(), ...target, action });

  const methods: AiMethods = {
    selectorCache: cache,
    async act(instruction, opts = {}) {
      const url = page.url();
      const cached = cache.get(url, 'act', instruction);
      if (cached && (await replay(page, cached, waitMs))) {
        cache.hit(cached);
        return {
          action: cached.action,
          selector: cached.selector,
          value: cached.value,
          cached: true,
          runId: null,
        };
      }
      const reply = await call({
        type: 'ai_act',
        intention: instruction,
        ...(opts.data !== undefined ? { data: opts.data } : {}),
      });
      const done = reply.result as {
        action: string;
        selector: string | null;
        value: string | null;
      };
      cache.set(url, 'act', instruction, {
        action: done.action,
        selector: done.selector,
        value: done.value,
      });
      return { ...done, cached: false, runId: reply.workflow_run_id };
    },
    async locate(instruction) {
      const url = page.url();
      const cached = cache.get(url, 'locate', instruction);
      if (cached?.selector && (await single(page, cached.selector, waitMs))) {
        cache.hit(cached);
        return cached.selector;
      }
      const reply = await call({ type: 'locate_element', prompt: instruction });
      const selector = String(reply.result);
      cache.set(url, 'locate', instruction, { action: 'locate', selector, value: null });
      return selector;
    },
    async extract<T>(opts: { prompt: string; schema?: SchemaLike<T> }): Promise<T> {
      const jsonSchema = await jsonSchemaOf(opts.schema);
      const reply = await call({
        type: 'extract',
        prompt: opts.prompt,
        ...(jsonSchema ? { extract_schema: jsonSchema } : {}),
      });
      if (opts.schema && isZod(opts.schema)) return opts.schema.parse(reply.result);
      return reply.result as T;
    },
    async observe(instruction) {
      const reply = await call({ type: 'observe', prompt: instruction });
      return reply.result as ObservedElement[];
    },
    async validate(condition) {
      const reply = await call({ type: 'validate', prompt: condition });
      return reply.result === true;
    },
  };
  return new Proxy(page, {
    get(target, prop, receiver) {
      if (Object.hasOwn(methods, prop)) return methods[prop as keyof AiMethods];
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as AiPage;
}

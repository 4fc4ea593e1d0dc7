/**
 * What an action set going in the page, so the executor can wait until it has played out and
 * tell a change of meaning (new controls) from a change of looks (attributes, classes).
 *
 * `trackPageActivity` runs as an init script in every document (installPageShims) and is
 * serialised with Function#toString, so it must be self-contained. On `window.__wrenAct` it
 * counts, from `mark()` (the start of an action):
 * - timers (setTimeout, requestAnimationFrame) scheduled by an event handler (`window.event` is
 *   set while listeners run: the action's input and the events it caused, an XHR's load) with a
 *   delay up to HORIZON_MS, and the follow-ups those callbacks schedule within HORIZON_MS of the
 *   first (a 300 ms hover delay, a jQuery animation, a debounce then its request), until they
 *   fire or are cleared. Timers the page runs on its own (a clock, an animation loop) are not;
 * - fetch/XMLHttpRequest calls started the same way, until they end;
 * - DOM mutations (time of the last one) and the elements they added or changed attributes of.
 * `settle()` resolves when nothing tracked is pending and the DOM has been quiet for QUIET_MS
 * (the quiet part only during the first HORIZON_MS, so an endless animation costs half a second,
 * not the whole bound), or after `maxMs`. Not seen: listeners inside shadow trees (no
 * `window.event` there) and promise continuations (their mutations still count for the quiet
 * DOM). Page content is untrusted: a page can fake these counters, which costs it at most the
 * executor's bound and a batch cut.
 */
import type { Page } from 'playwright-core';

/** Timers and requests started this long after the action began are still waited for. */
export const HORIZON_MS = 500;
/** The DOM counts as quiet after this long without a mutation. */
export const QUIET_MS = 50;

export interface SettleReport {
  /** The capture script's mutation counter (effect checks compare it). */
  mutations: number;
  /** Visible controls that appeared since the mark and no observation has listed. */
  fresh: number;
  /** Timers and requests still pending when the wait ended (0: the page settled). */
  pending: number;
  /** Whether the wait ran into its bound. */
  timedOut: boolean;
}

export function trackPageActivity(horizonMs: number, quietMs: number): void {
  type Fn = (...args: unknown[]) => unknown;
  const w = window as unknown as Record<string, unknown> & typeof globalThis;
  if (Object.hasOwn(w, '__wrenAct')) return;
  const now = () => performance.now();
  const setT = w.setTimeout.bind(w);
  const clearT = w.clearTimeout.bind(w);
  const raf = w.requestAnimationFrame?.bind(w);
  const caf = w.cancelAnimationFrame?.bind(w);
  const st = {
    gen: 0,
    markedAt: -1e9,
    lastChange: 0,
    lastActivity: 0,
    timers: new Set<unknown>(),
    frames: new Set<unknown>(),
    requests: 0,
    /** While a tracked callback runs: when its chain began (follow-ups are tracked until then
     * plus the horizon). */
    chainRoot: null as number | null,
    collecting: false,
    touched: new Set<Node>() as Set<Node> | null,
  };
  /**
   * Whether something scheduled now, due in `delay` ms, belongs to the action: scheduled by an
   * event handler (`window.event` is set while listeners run: the action's input, or the events
   * it caused) or by a tracked callback, and due within the horizon of its chain. Timers the page
   * runs on its own (a clock, an animation loop) are neither. Returns the chain's start.
   */
  const rootFor = (delay: number): number | null => {
    if (!st.collecting) return null;
    const t = now();
    if (st.chainRoot !== null) return t + delay <= st.chainRoot + horizonMs ? st.chainRoot : null;
    const ev = (w as { event?: unknown }).event;
    return ev !== undefined && ev !== null && delay <= horizonMs ? t : null;
  };
  const inChain = <R>(root: number, fn: () => R): R => {
    const outer = st.chainRoot;
    st.chainRoot = root;
    try {
      return fn();
    } finally {
      st.chainRoot = outer;
      st.lastActivity = now();
    }
  };
  const MAX_TOUCHED = 300;
  const touch = (n: Node) => {
    if (!st.collecting || !st.touched) return;
    st.touched.add(n);
    if (st.touched.size > MAX_TOUCHED) st.touched = null;
  };
  try {
    new MutationObserver((records) => {
      st.lastChange = now();
      for (const r of records) {
        if (r.type === 'attributes') touch(r.target);
        else if (r.type === 'childList') {
          for (const n of Array.from(r.addedNodes)) if (n.nodeType === 1) touch(n);
        }
      }
    }).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
  } catch {
    // No document to observe: settle falls back to timers and requests.
  }

  const wrapTimer = (
    schedule: Fn,
    pending: Set<unknown>,
    delayOf: (args: unknown[]) => number,
  ): Fn =>
    function (this: unknown, ...args: unknown[]) {
      const cb = args[0];
      const root = typeof cb === 'function' ? rootFor(delayOf(args)) : null;
      if (root === null) return schedule(...args);
      const gen = st.gen;
      let id: unknown;
      args[0] = function (this: unknown, ...cbArgs: unknown[]) {
        if (gen === st.gen) pending.delete(id);
        return inChain(root, () => (cb as Fn).apply(this, cbArgs));
      };
      id = schedule(...args);
      pending.add(id);
      return id;
    };
  w.setTimeout = wrapTimer(setT as Fn, st.timers, (a) =>
    Math.max(0, Number(a[1]) || 0),
  ) as typeof setTimeout;
  const clearTimer = (id: unknown) => {
    st.timers.delete(id);
    clearT(id as number);
  };
  w.clearTimeout = clearTimer as typeof clearTimeout;
  const clearI = w.clearInterval.bind(w);
  w.clearInterval = ((id: unknown) => {
    st.timers.delete(id);
    clearI(id as number);
  }) as typeof clearInterval;
  if (raf && caf) {
    // Hidden tabs get no frames: their frame callbacks are not waited for.
    w.requestAnimationFrame = wrapTimer(raf as Fn, st.frames, () =>
      document.hidden ? 1e9 : 16,
    ) as typeof requestAnimationFrame;
    w.cancelAnimationFrame = ((id: unknown) => {
      st.frames.delete(id);
      caf(id as number);
    }) as typeof cancelAnimationFrame;
  }

  const requestStarted = (): ((...ignored: unknown[]) => void) => {
    const root = rootFor(0);
    if (root === null) return () => {};
    const gen = st.gen;
    st.requests++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (gen === st.gen) st.requests--;
      st.lastActivity = now();
    };
  };
  const f = w.fetch?.bind(w);
  if (f) {
    w.fetch = ((...args: Parameters<typeof fetch>) => {
      const end = requestStarted();
      const p = f(...args);
      p.then(end, end);
      return p;
    }) as typeof fetch;
  }
  const xhr = w.XMLHttpRequest?.prototype;
  if (xhr) {
    const send = xhr.send;
    xhr.send = function (
      this: XMLHttpRequest,
      ...args: [(Document | XMLHttpRequestBodyInit | null)?]
    ) {
      const end = requestStarted();
      this.addEventListener('loadend', () => end(), { once: true });
      try {
        return send.apply(this, args);
      } catch (e) {
        end();
        throw e;
      }
    };
  }

  const SEL =
    'a[href],button,input:not([type=hidden]),select,textarea,summary,[role=button],[role=link],' +
    '[role=menuitem],[role=menuitemcheckbox],[role=menuitemradio],[role=option],[role=tab],' +
    '[role=checkbox],[role=radio],[role=switch],[role=combobox],[role=textbox],[role=treeitem],' +
    '[onclick],[contenteditable=""],[contenteditable=true]';
  const visible = (e: Element) => {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) return false;
    const check = (e as Element & { checkVisibility?: (o: object) => boolean }).checkVisibility;
    if (check) return check.call(e, { visibilityProperty: true, checkVisibilityCSS: true });
    const cs = getComputedStyle(e);
    return cs.visibility !== 'hidden' && cs.display !== 'none';
  };
  /** Visible controls inside what changed that no observation has given an id. */
  const fresh = (): number => {
    const obs = (w as { __wrenObs?: { ids?: WeakMap<Element, number> } }).__wrenObs;
    const known = (e: Element) => obs?.ids?.has(e) === true;
    const roots = st.touched ? Array.from(st.touched) : [document.documentElement];
    const checked = new Set<Element>();
    for (const root of roots) {
      if (root?.nodeType !== 1 || !root.isConnected) continue;
      const el = root as Element;
      const cands = el.matches(SEL) ? [el] : [];
      for (const c of Array.from(el.querySelectorAll(SEL))) cands.push(c);
      for (const c of cands) {
        if (checked.has(c) || known(c)) continue;
        checked.add(c);
        if (visible(c)) return 1;
      }
    }
    return 0;
  };

  const api = {
    mark(): void {
      st.gen++;
      st.timers.clear();
      st.frames.clear();
      st.requests = 0;
      st.markedAt = now();
      st.chainRoot = null;
      st.collecting = true;
      st.touched = new Set();
    },
    pending(): number {
      return st.timers.size + st.frames.size + st.requests;
    },
    settle(
      maxMs: number,
      frames: boolean,
      quietDom: boolean,
    ): Promise<Omit<SettleReportShape, 'mutations'>> {
      const start = now();
      return new Promise((resolve) => {
        const finish = (timedOut: boolean) => {
          const n = st.collecting ? fresh() : 0;
          resolve({ fresh: n, pending: api.pending(), timedOut });
        };
        const check = () => {
          const t = now();
          if (t - start >= maxMs) return finish(true);
          const quietUntil = Math.max(st.lastChange, st.lastActivity) + quietMs;
          const quietMatters = quietDom && t < start + horizonMs;
          if (api.pending() === 0 && (!quietMatters || t >= quietUntil)) return finish(false);
          const wait = api.pending() > 0 ? 16 : Math.max(1, Math.ceil(quietUntil - t));
          setT(check, Math.min(wait, maxMs - (t - start)));
        };
        if (!frames || !raf || document.hidden) return check();
        // Two rendered frames first: what the first frame ran (observers, layout effects) shows.
        const fallback = setT(check, 100);
        raf(() =>
          raf(() => {
            clearT(fallback);
            check();
          }),
        );
      });
    },
  };
  type SettleReportShape = { mutations: number; fresh: number; pending: number; timedOut: boolean };
  Object.defineProperty(w, '__wrenAct', { value: api, enumerable: false });
}

/** The init script's source (installed in every document of a run's context). */
export const PAGE_ACTIVITY_SCRIPT = `(${trackPageActivity.toString()})(${HORIZON_MS}, ${QUIET_MS});`;

/**
 * Starts tracking in the tab's main frame (installing the tracker where the init script did not
 * run, e.g. tabs that were open before a run attached). Returns the main frame's mutation count.
 */
export async function markActivity(page: Page): Promise<number | null> {
  return (await page
    .evaluate(
      `(() => { var __name = (f) => f; if (!window.__wrenAct) { ${PAGE_ACTIVITY_SCRIPT} } window.__wrenAct.mark(); return window.__wrenObs ? window.__wrenObs.mutations : 0; })()`,
    )
    .catch(() => null)) as number | null;
}

/**
 * Waits (at most `maxMs`) until what the action started has played out: optionally two frames,
 * then no tracked timer or request pending and (with `quietDom`) a quiet DOM. Null when the page is gone or has no
 * tracker (a new document).
 */
export async function waitForQuiet(
  page: Page,
  maxMs: number,
  frames: boolean,
  quietDom: boolean,
): Promise<SettleReport | null> {
  return (await page
    .evaluate(
      ([max, fr, q]) => {
        const w = window as unknown as {
          __wrenAct?: {
            settle(m: number, f: boolean, q: boolean): Promise<Omit<SettleReport, 'mutations'>>;
          };
          __wrenObs?: { mutations: number };
        };
        if (!w.__wrenAct) return null;
        return w.__wrenAct
          .settle(max, fr, q)
          .then((r) => ({ ...r, mutations: w.__wrenObs?.mutations ?? 0 }));
      },
      [maxMs, frames, quietDom] as const,
    )
    .catch(() => null)) as SettleReport | null;
}

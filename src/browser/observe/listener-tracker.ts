/**
 * Records which nodes have event listeners, however they were attached: an init script that runs
 * before any page script in every document (main frame, iframes, popups) wraps
 * `EventTarget.prototype.addEventListener`/`removeEventListener`. The capture script reads the
 * record to give script-only controls (a date picker's Prev `<a>` without href, a `div` with a
 * click listener) their own ids. See docs/browser.md "Which elements get an id".
 *
 * Invisible to the page: no attributes or properties on elements, records in a WeakMap, and the
 * wrappers print as native code through `Function.prototype.toString` (itself masked the same way).
 * `trackListeners` is serialised with Function#toString, so it must be self-contained.
 */

/** Global symbol under which the tracker's read side lives (non-enumerable, on globalThis). */
export const LISTENER_KEY = 'wren.listeners';

/** What the capture script can ask the tracker. */
export interface ListenerRecord {
  /** Event types with at least one listener on `target` and their listener counts. */
  types(target: object): Map<string, number> | undefined;
  /** Every target that had a listener at some point and is still alive. */
  targets(): object[];
}

export function trackListeners(): void {
  const key = Symbol.for('wren.listeners');
  const g = globalThis as unknown as Record<symbol, unknown>;
  if (g[key] || typeof EventTarget !== 'function') return;
  const proto = EventTarget.prototype;
  const byTarget = new WeakMap<object, Map<string, Set<unknown>>>();
  let refs: WeakRef<object>[] = [];
  const masks = new WeakMap<object, unknown>();
  const nativeToString = Function.prototype.toString;

  const wrap = <F extends (...args: never[]) => unknown>(
    original: F,
    record: (self: unknown, args: unknown[]) => void,
  ): F => {
    const proxy = new Proxy(original, {
      apply(target, self, args: unknown[]) {
        try {
          record(self, args);
        } catch {
          // Bookkeeping never breaks the page's own call.
        }
        return Reflect.apply(target, self, args);
      },
    });
    masks.set(proxy, original);
    return proxy;
  };

  const add = wrap(proto.addEventListener, (self, args) => {
    const [type, fn] = args;
    if (typeof type !== 'string' || !fn || !self || typeof self !== 'object') return;
    let m = byTarget.get(self);
    if (!m) {
      m = new Map();
      byTarget.set(self, m);
      if (refs.length > 100_000) refs = refs.filter((r) => r.deref() !== undefined);
      refs.push(new WeakRef(self));
    }
    let s = m.get(type);
    if (!s) {
      s = new Set();
      m.set(type, s);
    }
    s.add(fn);
  });
  const remove = wrap(proto.removeEventListener, (self, args) => {
    const [type, fn] = args;
    if (typeof type !== 'string' || !self || typeof self !== 'object') return;
    const m = byTarget.get(self);
    const s = m?.get(type);
    if (!m || !s) return;
    s.delete(fn);
    if (s.size === 0) m.delete(type);
  });
  const maskedToString = new Proxy(nativeToString, {
    apply(target, self, args: unknown[]) {
      return Reflect.apply(target, (self && masks.get(self as object)) ?? self, args);
    },
  });
  masks.set(maskedToString, nativeToString);

  const replace = (obj: object, name: string, value: unknown) => {
    const d = Object.getOwnPropertyDescriptor(obj, name);
    if (!d) return;
    Object.defineProperty(obj, name, { ...d, value });
  };
  replace(proto, 'addEventListener', add);
  replace(proto, 'removeEventListener', remove);
  replace(Function.prototype, 'toString', maskedToString);

  const read: ListenerRecord = {
    types(target) {
      const m = byTarget.get(target);
      if (!m || m.size === 0) return undefined;
      const out = new Map<string, number>();
      for (const [t, s] of m) if (s.size > 0) out.set(t, s.size);
      return out;
    },
    targets() {
      const out: object[] = [];
      for (const r of refs) {
        const t = r.deref();
        if (t) out.push(t);
      }
      return out;
    },
  };
  Object.defineProperty(globalThis, key, { value: read, enumerable: false });
}

/** The init script's source (runs before page scripts in every document of a context). */
export const LISTENER_TRACKER_SCRIPT = `(() => { var __name = (f) => f; (${trackListeners.toString()})(); })();`;

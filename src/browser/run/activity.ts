/**
 * Whether a run is using its browser: calls in flight, and when the last one began or ended.
 * BrowserManager makes the next run's warm context only while every run has been idle for a
 * moment (waiting for a model, or gone): a new context's renderer process competes for the CPU
 * with a run's page loads and input (docs/decisions.md, "Warm contexts are made while the
 * browser is idle").
 */
export class Activity {
  private inFlight = 0;
  private lastAt = Date.now();
  private readonly idleListeners = new Set<() => void>();

  /** Runs `work` as browser activity. */
  async track<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.lastAt = Date.now();
    try {
      return await work();
    } finally {
      this.inFlight--;
      this.lastAt = Date.now();
      if (this.inFlight === 0) for (const listener of this.idleListeners) listener();
    }
  }

  /** A call that is not tracked as a whole used the browser now. */
  touch(): void {
    this.lastAt = Date.now();
  }

  /** A call is in flight (onIdle tells when the last one ends). */
  get busy(): boolean {
    return this.inFlight > 0;
  }

  /** Milliseconds since the browser was last used; 0 while a call is in flight. */
  idleFor(now = Date.now()): number {
    return this.inFlight > 0 ? 0 : Math.max(0, now - this.lastAt);
  }

  /** Called each time the last call in flight ends. Returns an unsubscribe. */
  onIdle(listener: () => void): () => void {
    this.idleListeners.add(listener);
    return () => this.idleListeners.delete(listener);
  }
}

/**
 * `target` with every method call that returns a promise tracked as `activity` (the computer-use
 * primitives: a click's page load and the screenshot after it are browser use).
 */
export function trackedCalls<T extends object>(activity: Activity, target: T): T {
  return new Proxy(target, {
    get(obj, key) {
      const value: unknown = Reflect.get(obj, key, obj);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = value.apply(obj, args);
        return result instanceof Promise ? activity.track(() => result) : result;
      };
    },
  });
}

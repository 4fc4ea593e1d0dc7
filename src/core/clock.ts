import { setTimeout as wait } from 'node:timers/promises';

/** Time is injected so waiting logic can be tested without real delays. */
export type Now = () => number;
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Waits `ms`; rejects as soon as `signal` aborts (with an AbortError). The one sleep in src/. */
export const sleep: Sleep = async (ms, signal) => {
  await wait(ms, undefined, signal ? { signal } : undefined);
};

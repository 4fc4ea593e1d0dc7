import { setTimeout as wait } from 'node:timers/promises';

/** Time is injected so waiting logic can be tested without real delays. */
export type Now = () => number;
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = async (ms, signal) => {
  await wait(ms, undefined, signal ? { signal } : undefined);
};

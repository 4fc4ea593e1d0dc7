/** A screenshot that fails mid-navigation is taken again once the new document has loaded. */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { retryAfterLoad } from '../../../src/browser/retry-after-load.js';

/** A tab that only records the load states waited for (the rest of Page is not used). */
function tab(waitFails = false) {
  const waited: { state: string; timeout: number | undefined }[] = [];
  const page = {
    waitForLoadState: async (state: string, options?: { timeout?: number }) => {
      waited.push({ state, timeout: options?.timeout });
      if (waitFails) throw new Error('Timeout 10000ms exceeded');
    },
  } as unknown as Page;
  return { page, waited };
}

/** A capture that fails the first `failures` times, then answers with its try number. */
function capture(failures: number) {
  let tries = 0;
  return {
    take: async () => {
      tries++;
      if (tries <= failures) throw new Error(`try ${tries} failed`);
      return `shot ${tries}`;
    },
    tries: () => tries,
  };
}

describe('retryAfterLoad', () => {
  it('gives the first capture and waits for nothing when it works', async () => {
    const t = tab();
    const c = capture(0);
    expect(await retryAfterLoad(() => t.page, c.take)).toBe('shot 1');
    expect(c.tries()).toBe(1);
    expect(t.waited).toEqual([]);
  });

  it('waits for domcontentloaded (10 s at most) after a failure, then takes it again', async () => {
    const t = tab();
    const c = capture(1);
    expect(await retryAfterLoad(() => t.page, c.take)).toBe('shot 2');
    expect(t.waited).toEqual([{ state: 'domcontentloaded', timeout: 10_000 }]);
  });

  it('takes it again even when the load never comes', async () => {
    const t = tab(true);
    const c = capture(1);
    expect(await retryAfterLoad(() => t.page, c.take)).toBe('shot 2');
  });

  it('throws the second failure: only one retry', async () => {
    const t = tab();
    const c = capture(5);
    await expect(retryAfterLoad(() => t.page, c.take)).rejects.toThrow('try 2 failed');
    expect(c.tries()).toBe(2);
  });

  it('waits on the tab that is current at the retry', async () => {
    const first = tab();
    const second = tab();
    let current = first.page;
    const c = capture(1);
    const take = async () => {
      const r = c.take();
      current = second.page;
      return r;
    };
    expect(await retryAfterLoad(() => current, take)).toBe('shot 2');
    expect(first.waited).toEqual([]);
    expect(second.waited).toHaveLength(1);
  });
});

/** The bound on browser calls that may never answer (browser/with-timeout.ts). */
import { describe, expect, it } from 'vitest';
import { withTimeout } from '../../../src/browser/with-timeout.js';

describe('withTimeout', () => {
  it('gives the value of work that answers in time', async () => {
    const work = new Promise<string>((resolve) => setTimeout(() => resolve('done'), 5));
    await expect(withTimeout(work, 1_000, 'the call')).resolves.toBe('done');
  });

  it('passes on the error of work that fails in time', async () => {
    await expect(
      withTimeout(Promise.reject(new Error('closed')), 1_000, 'the call'),
    ).rejects.toThrow('closed');
  });

  it('fails, naming what and how long, when work never answers', async () => {
    const started = Date.now();
    await expect(withTimeout(new Promise<never>(() => {}), 30, 'frame capture')).rejects.toThrow(
      'frame capture timed out after 30 ms',
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('drops a late answer once it has timed out', async () => {
    let resolveLate!: (v: string) => void;
    const late = new Promise<string>((resolve) => {
      resolveLate = resolve;
    });
    const bounded = withTimeout(late, 10, 'the screenshot');
    await expect(bounded).rejects.toThrow('the screenshot timed out after 10 ms');
    resolveLate('too late');
    await expect(bounded).rejects.toThrow('timed out');
  });
});

/**
 * Waiting for a state in tests (docs/testing.md "Rules"): `vi.waitFor` under a name, for probes
 * that answer null, undefined or false until the state is reached. No fixed sleeps.
 */
import { vi } from 'vitest';

export interface UntilOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** Between probes (default 50 ms). */
  intervalMs?: number;
  /** Appended to the timeout error, e.g. the run's current state. */
  explain?: () => string | Promise<string>;
}

type NotYet = null | undefined | false;

/** Resolves with the probe's first answer that is not null/undefined/false. */
export async function until<T>(
  what: string,
  probe: () => T | NotYet | Promise<T | NotYet>,
  options: UntilOptions = {},
): Promise<T> {
  try {
    return await vi.waitFor(
      async () => {
        const value = await probe();
        if (value === null || value === undefined || value === false) {
          throw new Error(`still waiting for ${what}`);
        }
        return value;
      },
      { timeout: options.timeoutMs ?? 30_000, interval: options.intervalMs ?? 50 },
    );
  } catch (error) {
    if (!(error instanceof Error) || !error.message.startsWith('still waiting')) throw error;
    const detail = options.explain ? ` ${await options.explain()}` : '';
    throw new Error(`timed out waiting for ${what}${detail}`);
  }
}

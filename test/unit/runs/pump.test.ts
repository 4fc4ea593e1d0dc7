import { describe, expect, it } from 'vitest';
import { Pump } from '../../../src/runs/pump.js';

describe('Pump (the claim loops of the worker and the webhook dispatcher)', () => {
  it('runs one pass at a time, and wakes during a pass give exactly one more pass', async () => {
    let passes = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    let release: () => void = () => {};
    const pump = new Pump(
      async () => {
        passes++;
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        await new Promise<void>((r) => {
          release = r;
        });
        concurrent--;
      },
      () => true,
    );
    pump.wake();
    pump.wake();
    pump.wake();
    expect(passes).toBe(1);
    release();
    await expect.poll(() => passes).toBe(2);
    release();
    await pump.idle();
    expect(passes).toBe(2);
    expect(maxConcurrent).toBe(1);
  });

  it('does nothing once inactive', async () => {
    let passes = 0;
    let active = false;
    const pump = new Pump(
      async () => {
        passes++;
      },
      () => active,
    );
    pump.wake();
    await pump.idle();
    expect(passes).toBe(0);
    active = true;
    pump.wake();
    await pump.idle();
    expect(passes).toBe(1);
  });
});

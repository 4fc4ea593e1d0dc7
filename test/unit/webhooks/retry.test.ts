import { describe, expect, it } from 'vitest';
import { retryAfterMs } from '../../../src/core/index.js';
import { MAX_RETRY_DELAY_MS, retryDelayMs } from '../../../src/runs/webhooks/index.js';

describe('retryDelayMs', () => {
  it('doubles per attempt with up to one base of jitter', () => {
    expect(retryDelayMs(1, 1000, null, () => 0)).toBe(1000);
    expect(retryDelayMs(2, 1000, null, () => 0)).toBe(2000);
    expect(retryDelayMs(4, 1000, null, () => 0.5)).toBe(8500);
  });
  it('uses Retry-After when given, capped', () => {
    expect(retryDelayMs(1, 1000, 7000)).toBe(7000);
    expect(retryDelayMs(1, 1000, 10 * MAX_RETRY_DELAY_MS)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs(30, 1000, null, () => 0)).toBe(MAX_RETRY_DELAY_MS);
  });
});

describe('retryAfterMs (core; webhooks and model calls)', () => {
  it('reads seconds and HTTP dates', () => {
    expect(retryAfterMs('3')).toBe(3000);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(retryAfterMs('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon')).toBeNull();
    expect(retryAfterMs(null)).toBeNull();
    expect(retryAfterMs(' 1.5 ')).toBe(1500);
  });
});

import { describe, expect, it } from 'vitest';
import { parseRange } from '../../../src/api/results-routes.js';
import { ArtifactUrlSigner } from '../../../src/artifacts/index.js';

describe('parseRange', () => {
  it('reads single byte ranges and clamps the end', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange('bytes=90-200', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=95-', 100)).toEqual({ start: 95, end: 99 });
    expect(parseRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
  });
  it('answers unsatisfiable past the end, and ignores what it cannot read', () => {
    expect(parseRange('bytes=100-', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=-0', 100)).toBe('unsatisfiable');
    expect(parseRange('bytes=0-1', 0)).toBe('unsatisfiable');
    expect(parseRange(undefined, 100)).toBeNull();
    expect(parseRange('bytes=5-1', 100)).toBeNull();
    expect(parseRange('bytes=0-1,5-6', 100)).toBeNull();
    expect(parseRange('items=0-1', 100)).toBeNull();
  });
});

describe('ArtifactUrlSigner', () => {
  const signer = new ArtifactUrlSigner(Buffer.alloc(32, 7));
  it('accepts its own signature until expiry, for that artifact only', () => {
    const q = Object.fromEntries(new URLSearchParams(signer.query('a_1', 2000)));
    expect(signer.check('a_1', q, 1_999_000)).toBe('ok');
    expect(signer.check('a_1', q, 2_001_000)).toBe('expired');
    expect(signer.check('a_2', q, 1_999_000)).toBe('invalid');
    expect(signer.check('a_1', { ...q, expiry: '3000' }, 1_999_000)).toBe('invalid');
    expect(signer.check('a_1', { ...q, kid: 'other' }, 1_999_000)).toBe('invalid');
    expect(signer.check('a_1', {}, 0)).toBe('invalid');
  });
  it('another key does not verify', () => {
    const q = Object.fromEntries(new URLSearchParams(signer.query('a_1', 2000)));
    expect(
      new ArtifactUrlSigner(Buffer.alloc(32, 8)).check('a_1', { ...q, kid: undefined }, 0),
    ).toBe('invalid');
  });
});

import { describe, expect, it } from 'vitest';
import {
  EngineSetupError,
  parseSafetyCheckPolicy,
  parseViewport,
} from '../../../src/engines/services.js';

describe('engine settings from the environment', () => {
  it('WREN_CUA_SAFETY_CHECKS: stop unless the operator opts in to acknowledge', () => {
    expect(parseSafetyCheckPolicy(undefined)).toBe('stop');
    expect(parseSafetyCheckPolicy('')).toBe('stop');
    expect(parseSafetyCheckPolicy('stop')).toBe('stop');
    expect(parseSafetyCheckPolicy(' Acknowledge ')).toBe('acknowledge');
    expect(() => parseSafetyCheckPolicy('yes')).toThrow(EngineSetupError);
    expect(() => parseSafetyCheckPolicy('yes')).toThrow(
      'WREN_CUA_SAFETY_CHECKS must be stop or acknowledge, got "yes"',
    );
  });

  it('WREN_BROWSER_VIEWPORT: WIDTHxHEIGHT or a message naming the variable', () => {
    expect(parseViewport('1600x1000')).toEqual({ width: 1600, height: 1000 });
    expect(parseViewport(undefined)).toBeUndefined();
    expect(() => parseViewport('big')).toThrow('WREN_BROWSER_VIEWPORT must look like 1280x720');
  });
});

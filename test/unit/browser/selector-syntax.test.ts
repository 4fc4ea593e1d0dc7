import { describe, expect, it } from 'vitest';
import { looksGenerated, roleSelector, textSelector } from '../../../src/browser/index.js';

describe('selector syntax', () => {
  it('quotes names so quotes and backslashes survive', () => {
    expect(roleSelector('button', 'Say "hi"')).toBe('role=button[name="Say \\"hi\\""]');
    expect(textSelector('a\\b')).toBe('text="a\\\\b"');
  });

  it('treats framework and hash ids as generated, human ids as stable', () => {
    for (const id of [
      ':r1:',
      'ember1234',
      'input-8f3a9c21',
      'mui-42',
      'c12',
      '3f2a1b4c-1d2e-4f5a-8b9c-0d1e2f3a4b5c',
    ])
      expect(looksGenerated(id), id).toBe(true);
    for (const id of ['email', 'full-name', 'save-street', 'signup', 'h1-title'])
      expect(looksGenerated(id), id).toBe(false);
  });
});

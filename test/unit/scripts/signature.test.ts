/** docs/code-mode.md "Finding the script": prompt templates, URL patterns, parameters. */
import { describe, expect, it } from 'vitest';
import {
  compileScript,
  matchTemplate,
  promptTemplate,
  schemaHash,
  urlPattern,
} from '../../../src/scripts/index.js';

describe('prompt templates', () => {
  it('abstracts parameter values and matches other values back', () => {
    const t = promptTemplate('Sign up as Ada Lovelace (ada@example.com) on the Pro plan {x}.', [
      { name: 'full_name', value: 'Ada Lovelace' },
      { name: 'email', value: 'ada@example.com' },
      { name: 'plan', value: 'Pro' },
    ]);
    expect(t).toBe('Sign up as {full_name} ({email}) on the {plan} plan {{x}}.');
    expect(matchTemplate(t, 'Sign up as Grace Hopper (g@h.io) on the Basic plan {x}.')).toEqual({
      full_name: 'Grace Hopper',
      email: 'g@h.io',
      plan: 'Basic',
    });
    expect(matchTemplate(t, 'Delete the account of Grace Hopper.')).toBeNull();
  });

  it('replaces whole words only', () => {
    expect(promptTemplate('Provide the Pro plan', [{ name: 'plan', value: 'Pro' }])).toBe(
      'Provide the {plan} plan',
    );
  });
});

describe('signature parts', () => {
  it('drops query and ids from URLs and hashes schemas by content', () => {
    expect(urlPattern('https://a.example/orders/123/items?x=1#y')).toBe(
      'https://a.example/orders/*/items',
    );
    expect(schemaHash({ b: 1, a: [2] })).toBe(schemaHash({ a: [2], b: 1 }));
    expect(schemaHash(null)).toBe('none');
  });
});

describe('compileScript', () => {
  const base = {
    engine: 'skyvern-1.0',
    startUrl: 'https://a.example/login',
    schema: null,
    output: null,
    finalUrl: 'https://a.example/home',
    extraction: null,
  };
  it('keeps secrets as placeholders and binds the credential username', () => {
    const r = compileScript({
      ...base,
      prompt: 'Log in',
      credentialUsername: 'ada',
      trajectory: [
        {
          type: 'input_text',
          selector: 'role=textbox[name="User"]',
          element: { role: 'textbox', name: 'User' },
          text: 'ada',
          ok: true,
          navigated: false,
          urlAfter: 'https://a.example/login',
        },
        {
          type: 'input_text',
          selector: 'role=textbox[name="Password"]',
          element: { role: 'textbox', name: 'Password' },
          text: '{{secret:password}}',
          ok: true,
          navigated: false,
          urlAfter: 'https://a.example/login',
        },
        {
          type: 'click',
          selector: 'role=button[name="Sign in"]',
          element: { role: 'button', name: 'Sign in' },
          ok: true,
          navigated: true,
          urlAfter: 'https://a.example/home',
        },
      ],
    });
    if (!r.ok) throw new Error(r.reason);
    expect(r.body.parameters).toEqual([
      { name: 'username', example: null, secret: false, source: 'credential' },
      { name: 'password', example: null, secret: true, placeholder: '{{secret:password}}' },
    ]);
    expect(r.body.steps.map((s) => s.kind)).toEqual(['fill', 'fill', 'click', 'wait_for_url']);
    expect(JSON.stringify(r.body)).not.toContain('"ada"');
  });

  it('refuses an element action without a selector', () => {
    const r = compileScript({
      ...base,
      prompt: 'x',
      trajectory: [
        {
          type: 'click',
          selector: null,
          element: null,
          ok: true,
          navigated: false,
          urlAfter: 'https://a.example/login',
        },
      ],
    });
    expect(r.ok).toBe(false);
  });
});

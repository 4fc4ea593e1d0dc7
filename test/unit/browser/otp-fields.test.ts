import { describe, expect, it } from 'vitest';
import {
  classifyVerificationPage,
  detectOtpFields,
  type InputFieldInfo,
  planOtpEntry,
} from '../../../src/browser/index.js';

const box = (n: number): InputFieldInfo => ({
  ref: `b${n}`,
  maxLength: 1,
  inputMode: 'numeric',
  label: `Digit ${n}`,
});

describe('detectOtpFields', () => {
  it('finds six one-digit boxes', () => {
    expect(detectOtpFields([1, 2, 3, 4, 5, 6].map(box))).toEqual({
      kind: 'split',
      fields: ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'],
    });
  });

  it('finds a single field by autocomplete=one-time-code', () => {
    expect(
      detectOtpFields([
        { ref: 'u', name: 'username' },
        { ref: 'c', name: 'x1', autocomplete: 'one-time-code', maxLength: 6 },
      ]),
    ).toEqual({ kind: 'single', field: 'c', maxLength: 6 });
  });

  it.each([
    ['name', { name: 'otp' }],
    ['id', { id: 'verification_code' }],
    ['label', { label: 'Enter the security code' }],
    ['placeholder', { placeholder: '6-digit code' }],
    ['pin', { name: 'pin', type: 'password', maxLength: 6 }],
  ])('finds a single field by its %s', (_n, extra) => {
    expect(
      detectOtpFields([
        { ref: 'email', type: 'email' },
        { ref: 'f', ...extra },
      ]),
    ).toMatchObject({
      kind: 'single',
      field: 'f',
    });
  });

  it.each([
    ['a promo code field', [{ ref: 'p', label: 'Promo code', maxLength: 8 }]],
    ['a ZIP code field', [{ ref: 'z', name: 'zip_code', maxLength: 5 }]],
    [
      'a login form',
      [
        { ref: 'u', name: 'username' },
        { ref: 'p', type: 'password', name: 'password' },
      ],
    ],
    ['a hidden code field', [{ ref: 'h', type: 'hidden', name: 'code' }]],
    ['an invisible code field', [{ ref: 'h', name: 'otp', visible: false }]],
    ['three one-char boxes (a date of birth, not a code)', [1, 2, 3].map(box)],
  ])('ignores %s', (_n, fields) => {
    expect(detectOtpFields(fields as InputFieldInfo[])).toBeNull();
  });
});

describe('planOtpEntry', () => {
  it('one keystroke group per box', () => {
    expect(
      planOtpEntry('482913', { kind: 'split', fields: ['a', 'b', 'c', 'd', 'e', 'f'] }),
    ).toEqual([
      { field: 'a', text: '4' },
      { field: 'b', text: '8' },
      { field: 'c', text: '2' },
      { field: 'd', text: '9' },
      { field: 'e', text: '1' },
      { field: 'f', text: '3' },
    ]);
  });

  it('the whole code into a single field', () => {
    expect(planOtpEntry('482913', { kind: 'single', field: 'x', maxLength: 6 })).toEqual([
      { field: 'x', text: '482913' },
    ]);
  });

  it('refuses a code that does not fit', () => {
    expect(() =>
      planOtpEntry('12345678', { kind: 'split', fields: ['a', 'b', 'c', 'd', 'e', 'f'] }),
    ).toThrow('8 characters but the page has 6 boxes');
    expect(() => planOtpEntry('1234567', { kind: 'single', field: 'x', maxLength: 6 })).toThrow(
      'at most 6',
    );
  });
});

describe('classifyVerificationPage', () => {
  it.each([
    ['Enter the 6-digit code we sent to •••• 42', 'code'],
    ["Verify it's you. Open your authenticator app.", 'code'],
    ['Two-step verification: a text message with a code was sent', 'code'],
    ['Check your email — we sent you a sign-in link.', 'magic_link'],
    ['Welcome back, Jane. Your accounts:', null],
    ['Enter your promo code at checkout', null],
  ])('%j → %s', (text, wants) => {
    expect(classifyVerificationPage(text, []).wants).toBe(wants);
  });

  it('a code field decides by itself and carries the layout', () => {
    expect(classifyVerificationPage('', [1, 2, 3, 4, 5, 6].map(box))).toEqual({
      wants: 'code',
      layout: { kind: 'split', fields: ['b1', 'b2', 'b3', 'b4', 'b5', 'b6'] },
    });
  });
});

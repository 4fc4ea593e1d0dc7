/**
 * Recognising where a page wants a one-time code, from a plain description of its inputs (the
 * browser layer produces these from its element tree), and planning how to type a code into
 * one field or one character per box. Pure: no page access here.
 */

export interface InputFieldInfo {
  /** The observation's handle for the element. */
  ref: string;
  /** `type` attribute, lower case ('' or missing means text). */
  type?: string;
  name?: string;
  id?: string;
  autocomplete?: string;
  placeholder?: string;
  /** Visible label text or aria-label. */
  label?: string;
  inputMode?: string;
  /** `maxlength`; null or missing when unset. */
  maxLength?: number | null;
  visible?: boolean;
  disabled?: boolean;
}

export type OtpFieldLayout =
  | { kind: 'single'; field: string; maxLength: number | null }
  | { kind: 'split'; fields: string[] };

const TEXTLIKE = new Set(['', 'text', 'tel', 'number', 'password']);
const OTP_HINT =
  /one[-_ ]?time|otp|totp|2fa|mfa|verif|passcode|security[-_ ]?code|auth\w*[-_ ]?code|sms[-_ ]?code|login[-_ ]?code|sign[-_ ]?in[-_ ]?code|confirmation[-_ ]?code|(?:^|[^a-z])code(?:$|[^a-z])|\bpin\b|digit/i;
const NOT_OTP =
  /promo|coupon|voucher|gift|zip|postal|post[-_ ]?code|country|area[-_ ]?code|discount|referral|invite|captcha/i;

/** The code entry on the page, or null when there is none. Split boxes win over a single field. */
export function detectOtpFields(fields: readonly InputFieldInfo[]): OtpFieldLayout | null {
  const usable = fields.filter(
    (f) => f.visible !== false && !f.disabled && TEXTLIKE.has((f.type ?? '').toLowerCase()),
  );
  // Split boxes: 4–8 consecutive one-character inputs.
  let run: InputFieldInfo[] = [];
  const runs: InputFieldInfo[][] = [];
  for (const f of usable) {
    if (f.maxLength === 1 && !NOT_OTP.test(describe(f))) run.push(f);
    else {
      if (run.length) runs.push(run);
      run = [];
    }
  }
  if (run.length) runs.push(run);
  const boxes = runs.find((r) => r.length >= 4 && r.length <= 8);
  if (boxes) return { kind: 'split', fields: boxes.map((f) => f.ref) };

  const scored = usable
    .map((f) => ({ f, score: singleScore(f) }))
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score);
  const best = scored[0];
  if (!best) return null;
  return { kind: 'single', field: best.f.ref, maxLength: best.f.maxLength ?? null };
}

function describe(f: InputFieldInfo): string {
  return [f.name, f.id, f.placeholder, f.label].filter(Boolean).join(' ');
}

function singleScore(f: InputFieldInfo): number {
  const text = describe(f);
  if (NOT_OTP.test(text)) return 0;
  const max = f.maxLength ?? null;
  if (max !== null && (max < 4 || max > 12)) return 0;
  let score = 0;
  if ((f.autocomplete ?? '').toLowerCase().includes('one-time-code')) score += 3;
  if (OTP_HINT.test(text)) score += 2;
  if (score === 0) return 0;
  if (f.inputMode === 'numeric' || f.type === 'tel' || f.type === 'number') score += 0.5;
  if (max !== null && max >= 4 && max <= 8) score += 0.5;
  if (f.type === 'password') score -= 1;
  return score;
}

export interface OtpKeystrokes {
  field: string;
  text: string;
}

/**
 * What to type where. Split boxes get one character each and must match the code's length
 * (a mismatch means the page wants a different kind of code: the agent should not guess).
 */
export function planOtpEntry(code: string, layout: OtpFieldLayout): OtpKeystrokes[] {
  if (layout.kind === 'single') {
    if (layout.maxLength !== null && code.length > layout.maxLength) {
      throw new Error(
        `code has ${code.length} characters; the field takes at most ${layout.maxLength}`,
      );
    }
    return [{ field: layout.field, text: code }];
  }
  const chars = [...code];
  if (chars.length !== layout.fields.length) {
    throw new Error(
      `code has ${chars.length} characters but the page has ${layout.fields.length} boxes`,
    );
  }
  return layout.fields.map((field, i) => ({ field, text: chars[i]! }));
}

const ASKS_FOR_CODE =
  /enter (?:the |your )?(?:\d-digit |six-digit |verification |security |one-time |authentication |login |sign-in )?(?:code|otp|passcode|pin)|(?:verification|security|authentication|one-time|2fa|two-factor|2-step|two-step) (?:code|verification)|code (?:we|was) sent|sent (?:a|you a|your) (?:code|otp)|authenticator app|verify it(?:'|’)s you/i;
const ASKS_FOR_LINK =
  /(?:check|open) your (?:email|inbox)|(?:sent|emailed) (?:you )?(?:a|an) (?:sign-in|login|log-in|magic|verification) link|click the link (?:we|in)|magic link/i;

export interface VerificationPage {
  /** What the page waits for, or null when it is not a verification step. */
  wants: 'code' | 'magic_link' | null;
  /** Where to type the code, when there is a field for it. */
  layout: OtpFieldLayout | null;
}

/**
 * Whether the current page is a verification step, from its visible text and inputs. Engines
 * without a model-side signal (computer-use models just describe the screen) use this to decide
 * when to resolve a code; a code field found on the page is decisive on its own.
 */
export function classifyVerificationPage(
  pageText: string,
  fields: readonly InputFieldInfo[],
): VerificationPage {
  const layout = detectOtpFields(fields);
  if (layout) return { wants: 'code', layout };
  const text = pageText.slice(0, 20_000);
  if (ASKS_FOR_CODE.test(text)) return { wants: 'code', layout: null };
  if (ASKS_FOR_LINK.test(text)) return { wants: 'magic_link', layout: null };
  return { wants: null, layout: null };
}

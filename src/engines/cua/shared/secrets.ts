/**
 * Logins and verification codes for the computer-use engines. The model only ever sees and types
 * placeholders (`{{secret:password}}`, `{{totp}}`); the real value replaces the placeholder in
 * the keystrokes, at the moment the type action runs. Typing `{{totp}}` — or asking for the
 * code in words — is the model's "verification code step": the code is resolved then (stored
 * secret → totp_url → pushed codes) and typed into the page's code field, one character per box
 * when the page splits it. When no code can be had, the run ends with the resolver's error code.
 */

import {
  type ComputerPrimitives,
  classifyVerificationPage,
  type RunBrowser,
} from '../../../browser/index.js';
import type { EngineSecrets } from '../../types.js';

export const TOTP_PLACEHOLDER = '{{totp}}';

/** Why the run cannot go on: an OTP_* or MISSING_TOTP_SOURCE error code and its reason. */
export interface OtpFailure {
  errorCode: string;
  reason: string;
}

const MENTIONS_CODE =
  /\b(?:verification|one[- ]time|security|sign[- ]in|login|2fa|mfa|sms|authenticat\w*) code\b|\b(?:otp|totp|passcode|2fa|two[- ]factor|authenticator)\b|\bthe code\b/i;

/** Extra task text when the run has a login or a code source (placeholders only). */
export function secretsTaskNote(secrets: EngineSecrets | undefined): string {
  if (!secrets) return '';
  const lines: string[] = [];
  if (secrets.login) {
    lines.push(
      `Sign in as ${secrets.login.username}. For the password, type exactly ${secrets.login.password} — a placeholder that is replaced by the real password as it is typed.`,
    );
  }
  const fields = secrets.credentialFields ?? [];
  if (fields.length) {
    lines.push(
      `Use these details where the page asks for them; values in {{…}} are placeholders replaced by the real value as they are typed — type them exactly as written:\n${fields.map((f) => `${f.label}: ${f.value}`).join('\n')}`,
    );
  }
  if (secrets.hasTotpSource) {
    lines.push(
      `If the site asks for a verification or one-time code, click the code field (or its first box) and type exactly ${TOTP_PLACEHOLDER}: the code is fetched and typed for you. Do not ask for it.`,
    );
  }
  return lines.length ? `\n\n${lines.join('\n')}` : '';
}

export class CuaSecretTyping {
  /** Set when a code was needed and none could be had; the run must end with it. */
  failure: OtpFailure | null = null;
  private readonly stop = new AbortController();
  /** A code was resolved for a question and not typed yet (typing uses it, not a new one). */
  private codeReady = false;

  constructor(
    private readonly secrets: EngineSecrets | undefined,
    private readonly browser: RunBrowser,
    private readonly runSignal: AbortSignal,
    /** Where to say how a code was typed (the run log). */
    private readonly log: (message: string, data: Record<string, unknown>) => void = () => {},
  ) {}

  /** The loop's signal: the run's, also aborted when a code cannot be had. */
  get signal(): AbortSignal {
    return AbortSignal.any([this.runSignal, this.stop.signal]);
  }

  /** The computer the loop drives: identical, except that typing substitutes placeholders. */
  computer(inner: ComputerPrimitives): ComputerPrimitives {
    const type = (text: string) => this.type(inner, text);
    return new Proxy(inner, {
      get(target, prop) {
        if (prop === 'type') return type;
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  /**
   * The loops' answerQuestion hook: a question about a code (or any question while the page
   * asks for one) gets the code resolved and the placeholder to type; anything else — or a
   * second question before the first code was typed — ends the run with the model's text.
   */
  async answerQuestion(question: string): Promise<string | null> {
    // A code was handed over and never typed: the model is not using it; stop here.
    if (this.codeReady) return null;
    if (!MENTIONS_CODE.test(question) && (await this.pageWants()) !== 'code') return null;
    if (!(await this.obtainCode())) return null;
    this.codeReady = true;
    return `The verification code is ready. Click the code field (or its first box) and type exactly ${TOTP_PLACEHOLDER}; it is replaced by the code as it is typed. Then submit it.`;
  }

  private async type(inner: ComputerPrimitives, text: string): Promise<void> {
    if (!text.includes(TOTP_PLACEHOLDER)) {
      await inner.type(this.secrets ? this.secrets.substitute(text) : text);
      return;
    }
    if (!this.codeReady && !(await this.obtainCode())) {
      throw new Error(`no verification code: ${this.failure?.reason ?? 'unavailable'}`);
    }
    this.codeReady = false;
    const secrets = this.secrets!;
    if (text.trim() === TOTP_PLACEHOLDER) {
      // The page's own code field(s): one character per box when it is split.
      const entered = await this.browser.act({
        type: 'enter_code',
        text: secrets.substitute(TOTP_PLACEHOLDER),
      });
      if (entered.ok) {
        this.log('typed the verification code', { how: entered.detail ?? 'enter_code' });
        if (/\n\s*$/.test(text)) await inner.keypress(['Enter']);
        return;
      }
    }
    this.log('typed the verification code', { how: 'as keystrokes where the model typed it' });
    await inner.type(secrets.substitute(text));
  }

  private async obtainCode(): Promise<boolean> {
    if (this.failure) return false;
    if (!this.secrets?.hasTotpSource) {
      return this.fail({
        errorCode: 'MISSING_TOTP_SOURCE',
        reason:
          'The page asks for a verification code, but the run has no 2FA source: set credential_id (with a TOTP secret), totp_url or totp_identifier.',
      });
    }
    const r = await this.secrets.resolveTotp(this.runSignal);
    return r.ok ? true : this.fail({ errorCode: r.errorCode, reason: r.reason });
  }

  private fail(failure: OtpFailure): false {
    this.failure = failure;
    this.stop.abort(new Error(failure.reason));
    return false;
  }

  private async pageWants(): Promise<'code' | 'magic_link' | null> {
    const text = await this.browser
      .page()
      // biome-ignore lint/performance/useDomNodeTextContent: visible text only, not scripts
      .evaluate(() => document.body?.innerText ?? '')
      .catch(() => '');
    return classifyVerificationPage(text, []).wants;
  }
}

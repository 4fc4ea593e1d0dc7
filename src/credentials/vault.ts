/**
 * Per-run registry of secret values (passwords, TOTP secrets, one-time codes). Everything that
 * leaves the run towards a model, a log or an artifact goes through `mask`, which replaces each
 * registered value — raw, JSON-escaped (once and twice), URL-encoded or HTML-escaped — with its
 * placeholder. Actions carry placeholders; `substitute` puts the real value back only at the
 * moment the browser action executes.
 */

export const TOTP_PLACEHOLDER = '{{totp}}';
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const PLACEHOLDER_SRC = String.raw`\{\{\s*(?:secret:\s*([A-Za-z0-9_.-]{1,64})|(totp))\s*\}\}`;
const PLACEHOLDER = new RegExp(PLACEHOLDER_SRC, 'g');
/** Matches a whole placeholder (so masking never rewrites the inside of one). */
const IS_PLACEHOLDER = new RegExp(`^${PLACEHOLDER_SRC}$`);

export function placeholderFor(name: string): string {
  return name === 'totp' ? TOTP_PLACEHOLDER : `{{secret:${name}}}`;
}

export class UnknownPlaceholderError extends Error {
  override readonly name = 'UnknownPlaceholderError';
  constructor(readonly placeholder: string) {
    super(`no secret registered for ${placeholder}`);
  }
}

interface Entry {
  placeholder: string;
  /** Value used by substitute (the latest registered). */
  current: string;
}

export class SecretVault {
  private readonly entries = new Map<string, Entry>();
  /** Every value ever registered (codes change during a run; old ones stay masked). */
  private readonly maskedValues = new Map<string, string>();
  private pattern: RegExp | null = null;
  private replacements = new Map<string, string>();
  private longestForm = 0;

  /**
   * Registers (or updates) a named secret and returns its placeholder. The name `totp` maps to
   * `{{totp}}`; other names to `{{secret:<name>}}`.
   */
  register(name: string, value: string): string {
    if (!NAME.test(name)) throw new Error(`secret name ${JSON.stringify(name)} is not allowed`);
    if (value === '') throw new Error(`secret ${name} has an empty value`);
    const placeholder = placeholderFor(name);
    this.entries.set(name, { placeholder, current: value });
    this.maskedValues.set(value, placeholder);
    this.pattern = null;
    return placeholder;
  }

  /** How many distinct values are masked. */
  get size(): number {
    return this.maskedValues.size;
  }

  /** Replaces every registered value (in any encoded form) with its placeholder. */
  mask(text: string): string {
    const pattern = this.compiled();
    if (!pattern) return text;
    return text.replace(pattern, (m) => this.replacementFor(m));
  }

  /** Masks every string (and object key) inside a JSON-like value; returns a copy. */
  maskDeep<T>(value: T): T {
    return this.maskValue(value) as T;
  }

  /** True if text still contains any registered value in any known form. */
  leaks(text: string): boolean {
    const pattern = this.compiled();
    if (!pattern) return false;
    for (const m of text.matchAll(pattern)) if (!IS_PLACEHOLDER.test(m[0])) return true;
    return false;
  }

  /** Puts real values in place of placeholders. Unknown placeholders throw, naming them. */
  substitute(text: string): string {
    return text.replace(
      PLACEHOLDER,
      (whole, name: string | undefined, totp: string | undefined) => {
        const entry = this.entries.get(name ?? totp ?? '');
        if (!entry) throw new UnknownPlaceholderError(whole);
        return entry.current;
      },
    );
  }

  /** True if text holds a placeholder, so an action needs substitution before it runs. */
  static hasPlaceholder(text: string): boolean {
    PLACEHOLDER.lastIndex = 0;
    const hit = PLACEHOLDER.test(text);
    PLACEHOLDER.lastIndex = 0;
    return hit;
  }

  /**
   * A masker for text arriving in chunks (streamed logs, recordings' text tracks): a value split
   * across chunk boundaries is still masked. Call `flush` at the end.
   */
  createStreamMasker(): { push(chunk: string): string; flush(): string } {
    let tail = '';
    return {
      push: (chunk: string) => {
        const text = tail + chunk;
        const pattern = this.compiled();
        if (!pattern) {
          tail = '';
          return text;
        }
        // Anything that could be the start of a value must stay until more text arrives.
        let cut = Math.max(0, text.length - (this.longestForm - 1));
        let out = '';
        let last = 0;
        pattern.lastIndex = 0;
        for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
          if (m.index >= cut) break;
          out += text.slice(last, m.index) + this.replacementFor(m[0]);
          last = m.index + m[0].length;
          cut = Math.max(cut, last);
        }
        pattern.lastIndex = 0;
        out += text.slice(last, cut);
        tail = text.slice(cut);
        return out;
      },
      flush: () => {
        const rest = this.mask(tail);
        tail = '';
        return rest;
      },
    };
  }

  private maskValue(value: unknown): unknown {
    if (typeof value === 'string') return this.mask(value);
    if (value instanceof Error) {
      return {
        name: value.name,
        message: this.mask(value.message),
        stack: this.mask(value.stack ?? ''),
      };
    }
    if (Array.isArray(value)) return value.map((v) => this.maskValue(v));
    if (value !== null && typeof value === 'object') {
      if (!isPlainObject(value)) return value;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[this.mask(k)] = this.maskValue(v);
      return out;
    }
    return value;
  }

  private replacementFor(match: string): string {
    // A password such as "password" must not rewrite the `{{secret:password}}` around it.
    if (IS_PLACEHOLDER.test(match)) return match;
    return this.replacements.get(match) ?? this.replacements.get(match.toUpperCase()) ?? '[secret]';
  }

  private compiled(): RegExp | null {
    if (this.pattern) return this.pattern;
    if (this.maskedValues.size === 0) return null;
    const forms = new Map<string, string>();
    for (const [value, placeholder] of this.maskedValues) {
      for (const form of encodedForms(value)) if (!forms.has(form)) forms.set(form, placeholder);
    }
    // Percent-escapes match in either hex case; the replacement map is keyed by upper-case form.
    this.replacements = new Map();
    for (const [form, placeholder] of forms) {
      this.replacements.set(form, placeholder);
      if (form.includes('%')) this.replacements.set(form.toUpperCase(), placeholder);
    }
    const sorted = [...forms.keys()].sort((a, b) => b.length - a.length);
    // Placeholders take part in matching too (unbounded spaces aside, ~90 chars at most).
    this.longestForm = Math.max(sorted[0]?.length ?? 0, 96);
    // Placeholders come first so a placeholder already in the text is consumed whole.
    this.pattern = new RegExp([PLACEHOLDER_SRC, ...sorted.map(formPattern)].join('|'), 'g');
    return this.pattern;
  }
}

/** The spellings a value takes in prompts, logs, URLs and HTML. */
export function encodedForms(value: string): string[] {
  const jsonOnce = JSON.stringify(value).slice(1, -1);
  const jsonTwice = JSON.stringify(jsonOnce).slice(1, -1);
  const jsonAscii = asciiJson(value);
  const uriComponent = encodeURIComponent(value);
  const forms = new Set([
    value,
    jsonOnce,
    jsonTwice,
    jsonAscii,
    JSON.stringify(jsonAscii).slice(1, -1),
    uriComponent,
    uriComponent.replace(/%20/g, '+'),
    encodeURI(value),
    htmlEscape(value),
  ]);
  return [...forms].filter((f) => f !== '');
}

function asciiJson(value: string): string {
  return JSON.stringify(value)
    .slice(1, -1)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function htmlEscape(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function formPattern(form: string): string {
  let out = '';
  for (let i = 0; i < form.length; i++) {
    const hex = form[i] === '%' ? form.slice(i + 1, i + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      out += `%${caseless(hex[0]!)}${caseless(hex[1]!)}`;
      i += 2;
    } else {
      out += form[i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return out;
}

function caseless(ch: string): string {
  return /[A-Fa-f]/.test(ch) ? `[${ch.toUpperCase()}${ch.toLowerCase()}]` : ch;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

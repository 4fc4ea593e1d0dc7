/**
 * Ajv's RegExpEngine over re2js: `pattern` and `patternProperties` run in linear time, so a
 * schema such as `^(a+)+$` cannot hold the event loop (ECMAScript's backtracking engine took
 * minutes for a 30-character answer). RE2 has no backreferences or lookaround; a schema that uses
 * them is refused when it is checked, naming where (see `unsupportedPatterns`).
 */
import type { RegExpEngine, RegExpLike } from 'ajv/dist/types/index.js';
import { RE2JS } from 're2js';

function flagBits(flags: string): number {
  let bits = 0;
  if (flags.includes('i')) bits |= RE2JS.CASE_INSENSITIVE;
  if (flags.includes('m')) bits |= RE2JS.MULTILINE;
  if (flags.includes('s')) bits |= RE2JS.DOTALL;
  return bits;
}

class SafeRegExp implements RegExpLike {
  private readonly re: RE2JS;

  constructor(
    private readonly pattern: string,
    private readonly flags: string,
  ) {
    this.re = RE2JS.compile(RE2JS.translateRegExp(pattern), flagBits(flags));
  }

  /** JSON Schema patterns are unanchored: a match anywhere in the string counts. */
  test(input: string): boolean {
    return this.re.test(input);
  }

  /** Ajv keys compiled patterns by this text, so it must differ between patterns. */
  toString(): string {
    return JSON.stringify([this.pattern, this.flags]);
  }
}

/** Compiles an ECMAScript-syntax pattern for RE2; throws RE2's syntax error when it cannot. */
export function compileSafeRegExp(pattern: string, flags = ''): RegExpLike {
  return new SafeRegExp(pattern, flags);
}

/** Ajv calls this with each pattern (and "u" for Unicode mode, which RE2 always is). */
export const re2Engine: RegExpEngine = Object.assign(
  (pattern: string, flags: string) => compileSafeRegExp(pattern, flags),
  // Only used by Ajv's standalone code generation, which Wren does not use.
  { code: 'require("re2js").RE2JS' },
);

/** Why RE2 refuses `pattern`, or null when it compiles. */
export function re2Problem(pattern: string): string | null {
  try {
    compileSafeRegExp(pattern);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

import { htmlToText, looksLikeHtml } from './html-text.js';

/**
 * Finds the one-time code or magic link in pushed content (an SMS, an email body as text or
 * HTML, or the bare code). Deterministic rules first: digit groups of 4–8 (and upper-case
 * alphanumeric codes) scored by closeness to code words, with phone numbers, dates, years,
 * amounts and reference numbers ruled out; verification/login URLs as magic links. When
 * candidates tie, the result is `ambiguous` and a model may be asked to choose
 * (`extractOtpWithModel`); its answer is accepted only if it appears verbatim in the content.
 */

export type OtpType = 'totp' | 'magic_link';

export interface OtpCandidate {
  type: OtpType;
  /** The value to store and enter: digits without separators, or the whole URL. */
  value: string;
  /** The text as it appears in the content. */
  match: string;
  score: number;
  reasons: string[];
}

export type OtpExtraction =
  | {
      status: 'found';
      type: OtpType;
      value: string;
      via: 'verbatim' | 'rules' | 'model';
      candidates: OtpCandidate[];
    }
  | { status: 'ambiguous'; candidates: OtpCandidate[]; reason: string }
  | { status: 'none'; candidates: OtpCandidate[]; reason: string };

export interface ExtractOptions {
  /** Only look for this kind (a run waiting on a code page wants `totp`). */
  expect?: OtpType;
}

/** Model fallback: returns the value it believes is the code/link, or null. */
export type Disambiguate = (content: string, candidates: OtpCandidate[]) => Promise<string | null>;

// Words near which a number is a code. Strong ones name the code itself; weak ones the context.
const STRONG_WORDS = [
  'codes?',
  'passcode',
  'otp',
  'one[- ]?time',
  'pin',
  '2fa',
  'mfa',
  'two[- ]factor',
  '2-step',
  'two[- ]step',
  'código',
  'codigo',
  'codice',
  'kod',
  'kode',
  'koodi',
  'код',
  'verificatiecode',
  'bestätigungscode',
  'sicherheitscode',
  'einmalpasswort',
  '(?:m|sms|push)?tan',
  'mã',
  '验证码',
  '校验码',
  '动态码',
  '認証コード',
  '確認コード',
  'ワンタイム',
  '인증번호',
  '인증 코드',
];
const WEAK_WORDS = [
  'verification',
  'verify',
  'verif\\w*',
  'vérification',
  'verificación',
  'verificação',
  'verifica',
  'bestätigung',
  'authenticat\\w*',
  'security',
  'sign[- ]?in',
  'log[- ]?in',
  'login',
  'confirm\\w*',
  'token',
  'password',
  'access',
];
const STRONG_RE = new RegExp(`(?<![\\p{L}\\p{N}])(?:${STRONG_WORDS.join('|')})`, 'giu');
// German/Dutch compounds end in "code" (Anmeldecode): catch the suffix too.
const CODE_SUFFIX_RE = /(?<!\p{L})\p{L}{3,}(?:code|kode|kod)(?![\p{L}\p{N}])/giu;
const WEAK_RE = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:${WEAK_WORDS.join('|')})(?![\\p{L}\\p{N}])`,
  'giu',
);

// Just before a number: it is not a code.
const NEGATIVE_BEFORE =
  /(?:order|invoice|ref|reference|account|acct|card|ending(?: in)?|tracking|booking|ticket|case|customer|member|phone|tel|mobile|call|fax|zip|postal|total|amount|balance|price|id|no\.|nr\.?|apt|suite|unit|room|flight|seat|receipt|transaction|txn)\b[^\p{L}\p{N}]{0,4}(?:(?:number|no\.?|#|id)[^\p{L}\p{N}]{0,3})?$/iu;
const HARD_BEFORE = /(?:[$€£¥₹+#@]|[x*•]{2,}|\b(?:usd|eur|gbp|rs\.?|inr))\s?$/iu;
const HARD_AFTER =
  /^\s?(?:usd|eur|gbp|dollars?|euros?|kr|points?|miles?|pts|%|st\b|nd\b|rd\b|th\b)/iu;
const UNIT_AFTER = /^\s?(?:min(?:ute)?s?|secs?|seconds?|hours?|hrs?|days?|am\b|pm\b)/iu;

const LINK_WORDS =
  /magic|verif|confirm|log-?in|sign-?in|sign_in|auth|otp|token=|code=|activate|validate|one-?time|passwordless|session|access/i;
const LINK_TEXT_WORDS =
  /sign in|log in|login|verify|confirm|continue|magic|access|activate|validate|open|get started/i;
const LINK_EXCLUDE =
  /unsubscribe|optout|opt-out|privacy|terms|help|support|preferences|notification-settings|facebook\.com|twitter\.com|x\.com\/|linkedin\.com|instagram\.com|youtube\.com|\.(?:png|jpe?g|gif|svg|webp)(?:\?|$)/i;

/** Characters between a code word and a number beyond which they are unrelated. */
const KEYWORD_REACH = 160;
/** Longer content is read only this far (verification messages are short). */
export const MAX_ANALYZED_CHARS = 1 << 18;

const URL_RE = /https?:\/\/[^\s<>"'`)\]}]+/gi;

/** Rules only; never calls a model. */
export function extractOtp(content: string, options: ExtractOptions = {}): OtpExtraction {
  const raw = clean(content);
  if (raw === '') return { status: 'none', candidates: [], reason: 'content is empty' };

  const bare = bareValue(raw);
  if (bare && (!options.expect || options.expect === bare.type)) {
    return { status: 'found', type: bare.type, value: bare.value, via: 'verbatim', candidates: [] };
  }

  const { text, links } = readable(raw);
  const codes = options.expect === 'magic_link' ? [] : codeCandidates(text);
  const magic = options.expect === 'totp' ? [] : linkCandidates(text, links);

  const codeDecision = decide(codes, 1, 1);
  const linkDecision = decide(magic, 2, 1);
  const all = [...codes, ...magic];

  if (codeDecision.kind === 'found') return found(codeDecision.best, all);
  if (codeDecision.kind === 'tie') {
    return { status: 'ambiguous', candidates: codeDecision.tied, reason: 'several codes tie' };
  }
  if (linkDecision.kind === 'found') return found(linkDecision.best, all);
  if (linkDecision.kind === 'tie') {
    return { status: 'ambiguous', candidates: linkDecision.tied, reason: 'several links tie' };
  }
  // A short message with exactly one plausible number and no code word ("482913 is yours").
  const plausible = codes.filter((c) => c.score > -1);
  if (options.expect !== 'magic_link' && text.length <= 200 && plausible.length === 1) {
    return found(plausible[0]!, all);
  }
  if (plausible.length > 1) {
    return { status: 'ambiguous', candidates: plausible, reason: 'numbers without a code word' };
  }
  return { status: 'none', candidates: all, reason: 'no code or verification link found' };
}

/**
 * Rules, then the model for ambiguous content (or content with code words but no candidate).
 * The model's answer is kept only if it occurs verbatim in the content as a whole token or URL.
 */
export async function extractOtpWithModel(
  content: string,
  options: ExtractOptions & { disambiguate?: Disambiguate } = {},
): Promise<OtpExtraction> {
  const first = extractOtp(content, options);
  const { disambiguate } = options;
  if (first.status === 'found' || !disambiguate) return first;
  const raw = clean(content);
  const { text, links } = readable(raw);
  if (first.status === 'none' && !hasCodeWord(text)) return first;
  let answer: string | null;
  try {
    answer = await disambiguate(raw, first.candidates);
  } catch (err) {
    return { ...first, reason: `${first.reason}; model failed: ${errorText(err)}` };
  }
  const accepted = answer === null ? null : verbatimAnswer(answer, raw, text, links);
  if (!accepted || (options.expect && accepted.type !== options.expect)) {
    return { ...first, reason: `${first.reason}; model answer not found verbatim in the content` };
  }
  return { status: 'found', ...accepted, via: 'model', candidates: first.candidates };
}

/** True if the text mentions a code word (any supported language). */
export function hasCodeWord(text: string): boolean {
  return firstMatch(STRONG_RE, text) || firstMatch(CODE_SUFFIX_RE, text);
}

function firstMatch(re: RegExp, text: string): boolean {
  re.lastIndex = 0;
  const hit = re.test(text);
  re.lastIndex = 0;
  return hit;
}

function clean(content: string): string {
  return content.slice(0, MAX_ANALYZED_CHARS).replace(/\0/g, '').trim();
}

function found(best: OtpCandidate, all: OtpCandidate[]): OtpExtraction {
  return { status: 'found', type: best.type, value: best.value, via: 'rules', candidates: all };
}

function readable(raw: string): { text: string; links: { href: string; text: string }[] } {
  if (looksLikeHtml(raw)) return htmlToText(raw);
  return { text: raw, links: [] };
}

/** Content that is itself the code (≤ 10 chars, one token or digit groups) or a bare URL. */
function bareValue(raw: string): { type: OtpType; value: string } | null {
  if (/^https?:\/\/\S+$/i.test(raw)) return { type: 'magic_link', value: raw };
  if (raw.length > 10) return null;
  const google = /^[A-Z]-(\d{4,8})$/.exec(raw);
  if (google) return { type: 'totp', value: google[1]! };
  if (/^\d+(?:[ -]\d+)*$/.test(raw)) return { type: 'totp', value: raw.replace(/[ -]/g, '') };
  if (/^[A-Za-z0-9]+$/.test(raw)) return { type: 'totp', value: raw };
  return null;
}

interface Keyword {
  start: number;
  end: number;
  weight: number;
}

function keywords(text: string): Keyword[] {
  const out: Keyword[] = [];
  for (const [re, weight] of [
    [STRONG_RE, 3],
    [CODE_SUFFIX_RE, 3],
    [WEAK_RE, 1],
  ] as const) {
    for (const m of text.matchAll(re)) {
      out.push({ start: m.index, end: m.index + m[0].length, weight });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

function codeCandidates(text: string): OtpCandidate[] {
  // URLs and email addresses hold digits that are never the code; blank them, keeping offsets.
  const scan = text
    .replace(URL_RE, (u) => ' '.repeat(u.length))
    .replace(/(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, (e) => ' '.repeat(e.length));
  const kws = keywords(text);
  const out: OtpCandidate[] = [];
  const chain = /(?<![\p{L}\p{N}_])\d+(?:[ \-./:,]\d+)*(?![\p{L}\p{N}_])/gu;
  for (const m of scan.matchAll(chain)) {
    const groups = m[0].split(/[ \-./:,]/);
    const seps = m[0].replace(/\d/g, '');
    let value: string | null = null;
    if (groups.length === 1 && m[0].length >= 4 && m[0].length <= 8) value = m[0];
    else if (
      groups.length === 2 &&
      /^[ -]$/.test(seps) &&
      groups[0]!.length === groups[1]!.length &&
      (groups[0]!.length === 3 || groups[0]!.length === 4)
    ) {
      value = groups.join('');
    }
    if (value === null) continue;
    const c = scoreCode(text, m.index, m[0], value, kws, false);
    if (c) out.push(c);
  }
  const alnum =
    /(?<![\p{L}\p{N}_@./-])(?=[A-Z0-9]*\d)(?=[0-9]*[A-Z])[A-Z0-9]{4,8}(?![\p{L}\p{N}_@/-])/gu;
  for (const m of scan.matchAll(alnum)) {
    if (/^(?:COVID19|IPV[46]|H26[45]|MP[34]|\d+(?:ST|ND|RD|TH|AM|PM|GB|MB|KB))$/.test(m[0]))
      continue;
    const c = scoreCode(text, m.index, m[0], m[0], kws, true);
    if (c && c.score >= 2) out.push(c);
  }
  return dedupe(out);
}

function scoreCode(
  text: string,
  start: number,
  match: string,
  value: string,
  kws: Keyword[],
  alnum: boolean,
): OtpCandidate | null {
  const end = start + match.length;
  const before = text.slice(Math.max(0, start - 30), start);
  const after = text.slice(end, end + 12);
  if (HARD_BEFORE.test(before) || HARD_AFTER.test(after)) return null;
  const reasons: string[] = [];
  let score = 0;
  let nearestStrongBefore = -1;
  // Keywords are sorted by start; only those within reach can matter.
  for (let k = firstAtOrAfter(kws, start - KEYWORD_REACH - 40); k < kws.length; k++) {
    const kw = kws[k]!;
    if (kw.start > end + KEYWORD_REACH) break;
    const gap = kw.end <= start ? start - kw.end : kw.start >= end ? kw.start - end : -1;
    if (gap < 0) continue;
    const factor = gap <= 30 ? 1 : gap <= 80 ? 0.5 : gap <= KEYWORD_REACH ? 0.2 : 0;
    let s = kw.weight * factor;
    if (kw.end <= start && gap <= 12) s += 0.5;
    if (s > score) score = s;
    if (kw.weight >= 3 && kw.end <= start)
      nearestStrongBefore = Math.max(nearestStrongBefore, kw.end);
  }
  if (score > 0) reasons.push(`near a code word (${score.toFixed(1)})`);
  const negative = NEGATIVE_BEFORE.exec(before);
  const negStart = negative ? start - before.length + negative.index : -1;
  if (negative && nearestStrongBefore <= negStart) {
    score -= 4;
    reasons.push(`follows "${negative[0].trim()}"`);
  }
  if (UNIT_AFTER.test(after)) {
    score -= 4;
    reasons.push('followed by a time unit');
  }
  if (!alnum && /^(?:19|20)\d\d$/.test(value)) {
    score -= 1.5;
    reasons.push('looks like a year');
  }
  if (value.length === 6) score += 0.3;
  else if (value.length === 4 || value.length === 8) score += 0.1;
  if (alnum) score -= 0.5;
  return { type: 'totp', value, match, score: round(score), reasons };
}

/** Index of the first keyword starting at or after `pos`. */
function firstAtOrAfter(kws: Keyword[], pos: number): number {
  let lo = 0;
  let hi = kws.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (kws[mid]!.start < pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function linkCandidates(text: string, links: { href: string; text: string }[]): OtpCandidate[] {
  const all = [...links];
  for (const m of text.matchAll(URL_RE))
    all.push({ href: m[0].replace(/[.,;:!?]+$/, ''), text: '' });
  const out: OtpCandidate[] = [];
  for (const link of all) {
    if (!/^https?:\/\//i.test(link.href) || LINK_EXCLUDE.test(link.href)) continue;
    let url: URL;
    try {
      url = new URL(link.href);
    } catch {
      continue;
    }
    const reasons: string[] = [];
    let score = 0;
    if (LINK_WORDS.test(url.pathname + url.search)) {
      score += 2;
      reasons.push('verification words in the URL');
    }
    if (/[A-Za-z0-9_-]{16,}/.test(url.search + url.pathname)) {
      score += 1;
      reasons.push('carries a long token');
    }
    if (link.text && LINK_TEXT_WORDS.test(link.text)) {
      score += 2;
      reasons.push(`link text "${link.text.slice(0, 40)}"`);
    }
    out.push({ type: 'magic_link', value: link.href, match: link.href, score, reasons });
  }
  return dedupe(out);
}

function dedupe(cands: OtpCandidate[]): OtpCandidate[] {
  const best = new Map<string, OtpCandidate>();
  for (const c of cands) {
    const seen = best.get(c.value);
    if (!seen || c.score > seen.score) best.set(c.value, c);
  }
  return [...best.values()].sort((a, b) => b.score - a.score);
}

type Decision =
  | { kind: 'found'; best: OtpCandidate }
  | { kind: 'tie'; tied: OtpCandidate[] }
  | { kind: 'none' };

function decide(sorted: OtpCandidate[], minScore: number, margin: number): Decision {
  const top = sorted[0];
  if (!top || top.score < minScore) return { kind: 'none' };
  const tied = sorted.filter((c) => top.score - c.score < margin);
  return tied.length === 1 ? { kind: 'found', best: top } : { kind: 'tie', tied };
}

function verbatimAnswer(
  answer: string,
  raw: string,
  text: string,
  links: { href: string }[],
): { type: OtpType; value: string } | null {
  const a = answer.trim().replace(/^["'`]+|["'`]+$/g, '');
  if (a === '') return null;
  if (/^https?:\/\//i.test(a)) {
    const present = raw.includes(a) || text.includes(a) || links.some((l) => l.href === a);
    return present ? { type: 'magic_link', value: a } : null;
  }
  if (a.length < 4 || a.length > 12 || !/^[A-Za-z0-9]+(?:[ -][A-Za-z0-9]+)*$/.test(a)) return null;
  const token = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRe(a)}(?![\\p{L}\\p{N}])`, 'u');
  if (!token.test(text) && !token.test(raw)) return null;
  const value = /^\d+(?:[ -]\d+)+$/.test(a) ? a.replace(/[ -]/g, '') : a;
  return { type: 'totp', value };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

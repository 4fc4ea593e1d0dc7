/**
 * The model fallback of code extraction: asked only when the rules cannot decide between
 * candidates (src/credentials/extract.ts). The model never sees a code or a link: every value
 * that could be one is replaced by a label such as [[V2]] before the message leaves, the model
 * answers with a label, and the label is mapped back to the value, which the caller then checks
 * occurs verbatim in the content. Used by the push route and by totp_url pulls.
 */
import type { Disambiguate, OtpCandidate } from '../credentials/index.js';
import type { Llm, ModelRole } from '../llm/index.js';

/** The model sees at most this much of a message (longer mails are mostly boilerplate). */
const MAX_CONTENT_CHARS = 20_000;

const SYSTEM =
  'You read a message (SMS or email) sent to a user who is signing in to a website. Every value ' +
  'that could be a one-time code or a sign-in link has been replaced by a label like [[V1]]. ' +
  'Answer with the label of the one-time verification code, or of the sign-in (magic) link, ' +
  'that the message means. Answer null when it holds neither, or when you cannot tell which ' +
  'one is meant. Never answer anything but a label from the message or null.';

const SCHEMA = {
  type: 'object',
  properties: { label: { type: ['string', 'null'] } },
  required: ['label'],
  additionalProperties: false,
};

const URL_RE = /https?:\/\/[^\s"'<>)]+/g;
/** Tokens with a digit in them: codes like 482913, 48-29-13 or A7K92B. */
const DIGIT_TOKEN_RE =
  /(?<![\p{L}\p{N}])(?=[\p{L}\p{N}-]*\p{N})[\p{L}\p{N}](?:[\p{L}\p{N}-]{2,}[\p{L}\p{N}])(?![\p{L}\p{N}])/gu;

export interface MaskedMessage {
  text: string;
  /** Label (e.g. `[[V1]]`) → the value it hides, as it appears in the content. */
  values: Map<string, string>;
  /** One line per label for the prompt: its kind and, for links, only the host. */
  legend: string[];
}

/** Replaces every possible code or link in `content` (and the rules' candidates) by a label. */
export function maskCodeCandidates(content: string, candidates: OtpCandidate[]): MaskedMessage {
  const found = new Set<string>();
  for (const c of candidates) {
    if (c.match) found.add(c.match);
    found.add(c.value);
  }
  for (const m of content.matchAll(URL_RE)) found.add(m[0]);
  const withoutUrls = content.replace(URL_RE, ' ');
  for (const m of withoutUrls.matchAll(DIGIT_TOKEN_RE)) if (/\p{N}/u.test(m[0])) found.add(m[0]);
  // Longest first, so a value inside a longer one (a code inside a link) is never left half shown.
  const ordered = [...found].filter((v) => v.trim().length > 0).sort((a, b) => b.length - a.length);
  const values = new Map<string, string>();
  const legend: string[] = [];
  let text = content;
  for (const value of ordered) {
    if (!text.includes(value)) continue;
    const label = `[[V${values.size + 1}]]`;
    values.set(label, value);
    text = text.split(value).join(label);
    legend.push(`${label}: ${describe(value)}`);
  }
  return { text, values, legend };
}

function describe(value: string): string {
  if (!/^https?:\/\//.test(value)) {
    const digits = value.replace(/\D/g, '').length;
    return `${value.length} characters, ${digits} of them digits`;
  }
  try {
    return `a link to ${new URL(value).host}`;
  } catch {
    return 'a link';
  }
}

export function llmDisambiguator(
  llm: Llm,
  options: { role?: ModelRole; timeoutMs?: number } = {},
): Disambiguate {
  return async (content, candidates) => {
    const masked = maskCodeCandidates(content.slice(0, MAX_CONTENT_CHARS), candidates);
    if (masked.values.size === 0) return null;
    const result = await llm.complete<{ label: string | null }>({
      role: options.role ?? 'classifier',
      system: SYSTEM,
      messages: [
        {
          role: 'user',
          content: `Labels:\n${masked.legend.join('\n')}\n\nMessage:\n${masked.text}`,
        },
      ],
      schema: SCHEMA,
      schemaName: 'otp',
      maxOutputTokens: 100,
      temperature: 0,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    const label = result.json?.label?.trim();
    if (!label) return null;
    return masked.values.get(label.startsWith('[[') ? label : `[[${label}]]`) ?? null;
  };
}

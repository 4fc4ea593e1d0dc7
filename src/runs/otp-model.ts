/**
 * The model fallback of code extraction: asked only when the rules cannot decide between
 * candidates (src/credentials/extract.ts), and its answer is kept only if it occurs verbatim in
 * the content. Used by the push route (CredentialRoutesOptions.disambiguate) and by totp_url
 * pulls (RunSecretsDeps.disambiguate).
 */
import type { Disambiguate } from '../credentials/index.js';
import type { Llm, ModelRole } from '../llm/index.js';

/** The model sees at most this much of a message (longer mails are mostly boilerplate). */
const MAX_CONTENT_CHARS = 20_000;

const SYSTEM =
  'You read a message (SMS or email) sent to a user who is signing in to a website. ' +
  'Return the one-time verification code, or the sign-in (magic) link, exactly as it appears ' +
  'in the message. Return null when the message holds neither, or when you cannot tell which ' +
  'one is meant. Never invent or reformat a value.';

const SCHEMA = {
  type: 'object',
  properties: { value: { type: ['string', 'null'] } },
  required: ['value'],
  additionalProperties: false,
};

export function llmDisambiguator(
  llm: Llm,
  options: { role?: ModelRole; timeoutMs?: number } = {},
): Disambiguate {
  return async (content, candidates) => {
    const listed = candidates.map((c) => `- ${c.value} (${c.type})`).join('\n') || '- none';
    const result = await llm.complete<{ value: string | null }>({
      role: options.role ?? 'classifier',
      system: SYSTEM,
      messages: [
        {
          role: 'user',
          content: `Candidates the rules found:\n${listed}\n\nMessage:\n${content.slice(0, MAX_CONTENT_CHARS)}`,
        },
      ],
      schema: SCHEMA,
      schemaName: 'otp',
      maxOutputTokens: 300,
      temperature: 0,
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    });
    const value = result.json?.value;
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
  };
}

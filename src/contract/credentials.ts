/**
 * Request and response shapes of the credential routes: pushed one-time codes (Skyvern's
 * `TOTPCodeCreate` / `TOTPCode`, contract §8.1) and stored logins (a Wren extension). The zod
 * schemas check types; the rules (lengths, identifiers, secrets) live in src/credentials.
 * Response shapes list every field a response may carry, so a password or secret can never be
 * serialized by accident (unknown keys are dropped).
 */
import { z } from 'zod';

const optionalText = (field: string, description?: string) => {
  const schema = z
    .string({ error: `${field} must be a string` })
    .nullable()
    .optional();
  return description ? schema.describe(description) : schema;
};

/** Timestamps of these routes follow Skyvern's style: naive UTC, microseconds, no offset. */
const naiveUtc = z
  .string()
  .describe('UTC date-time without offset, e.g. 2026-01-31T15:20:42.160000');

export const OTP_TYPES = ['totp', 'magic_link'] as const;
export const OtpTypeSchema = z.enum(OTP_TYPES).meta({ id: 'OTPType' });

export const TotpCodeCreateSchema = z
  .object({
    totp_identifier: z
      .string({
        error: (issue) =>
          issue.input === undefined
            ? 'totp_identifier is required'
            : 'totp_identifier must be a string',
      })
      .describe('Email, phone number or user id the code was sent to (at most 255 characters).'),
    content: z
      .string({
        error: (issue) =>
          issue.input === undefined ? 'content is required' : 'content must be a string',
      })
      .describe('The raw SMS, the email text or HTML, or the bare code.'),
    task_id: optionalText('task_id', 'Limit the code to this run; it must exist.'),
    workflow_id: optionalText('workflow_id', 'Limit the code to this workflow; it must exist.'),
    workflow_run_id: optionalText(
      'workflow_run_id',
      'Limit the code to this workflow run; it must exist.',
    ),
    source: optionalText('source', 'Free text: sms, email, app…'),
    expired_at: optionalText(
      'expired_at',
      'ISO 8601 date-time after which the code is not used; no offset means UTC.',
    ),
    type: z
      .enum(OTP_TYPES, { error: 'type must be "totp" or "magic_link" (it is ignored anyway)' })
      .nullable()
      .optional()
      .describe('Deprecated and ignored: the type is detected.'),
  })
  .meta({ id: 'TOTPCodeCreate', title: 'TOTPCodeCreate' });

export const TotpCodeSchema = z
  .object({
    totp_code_id: z.string(),
    code: z.string().describe('The code or magic link; empty while status is raw_pending.'),
    content: z.string(),
    totp_identifier: z.string(),
    task_id: z.string().nullable(),
    workflow_id: z.string().nullable(),
    workflow_run_id: z.string().nullable(),
    source: z.string().nullable(),
    expired_at: naiveUtc.nullable(),
    organization_id: z.string(),
    created_at: naiveUtc,
    modified_at: naiveUtc,
    otp_type: OtpTypeSchema.nullable(),
    status: z
      .literal('raw_pending')
      .optional()
      .describe('Present when no code was found yet; the content is read again when a run polls.'),
  })
  .meta({ id: 'TOTPCode' });

export const TotpCodeListQuerySchema = z.object({
  totp_identifier: z.string().optional(),
  workflow_run_id: z.string().optional(),
  otp_type: z.enum(OTP_TYPES, { error: 'otp_type must be "totp" or "magic_link"' }).optional(),
  limit: z.coerce
    .number({ error: 'limit must be an integer between 1 and 200' })
    .int({ error: 'limit must be an integer between 1 and 200' })
    .min(1, { error: 'limit must be at least 1' })
    .max(200, { error: 'limit must be at most 200' })
    .default(50),
});
export type TotpCodeListQueryInput = z.output<typeof TotpCodeListQuerySchema>;

const credentialFields = {
  username: optionalText('username', 'Required (here or in `credential`).'),
  password: optionalText('password', 'Required (here or in `credential`). Never returned.'),
  totp: optionalText(
    'totp',
    'Optional TOTP secret: base32 or an otpauth://totp/ URI. Never returned.',
  ),
};

export const CredentialCreateSchema = z
  .object({
    name: optionalText('name', 'A label; defaults to the username.'),
    ...credentialFields,
    credential_type: z
      .literal('password', { error: 'credential_type: only "password" credentials are supported' })
      .optional(),
    credential: z
      .object(credentialFields, { error: 'credential must be an object' })
      .optional()
      .describe('Nested form: {"username", "password", "totp"} instead of top-level fields.'),
  })
  .meta({
    id: 'CredentialCreate',
    description:
      'A login for tasks to use (credential_id in POST /v1/run/tasks). The password and the TOTP ' +
      'secret are encrypted at rest and never returned.',
  });

export const CredentialSchema = z
  .object({
    credential_id: z.string(),
    name: z.string(),
    username: z.string(),
    has_totp: z
      .boolean()
      .describe('True when a TOTP secret is stored (the secret is never returned).'),
    totp_issuer: z.string().nullable(),
    created_at: naiveUtc,
  })
  .meta({ id: 'Credential' });

export const CredentialIdParamsSchema = z.object({ credential_id: z.string() });

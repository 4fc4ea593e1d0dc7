/**
 * Request and response shapes of the credential routes: pushed one-time codes (Skyvern's
 * `TOTPCodeCreate` / `TOTPCode`, docs/credentials.md) and stored logins (a Wren extension). The zod
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

export const CREDENTIAL_TYPE_VALUES = ['password', 'credit_card', 'secret'] as const;
export const TOTP_TYPE_VALUES = ['authenticator', 'email', 'text', 'passkey', 'none'] as const;
export const CredentialTypeSchema = z.enum(CREDENTIAL_TYPE_VALUES).meta({ id: 'CredentialType' });
export const TotpTypeSchema = z.enum(TOTP_TYPE_VALUES).meta({ id: 'TotpType' });

const loginFields = {
  username: optionalText('username'),
  password: optionalText('password', 'Never returned.'),
  totp: optionalText('totp', 'TOTP secret: base32 or an otpauth://totp/ URI. Never returned.'),
  totp_type: z.unknown().optional().describe('authenticator, email, text, passkey or none'),
  totp_identifier: optionalText('totp_identifier', 'Where pushed codes for this login arrive.'),
};

/**
 * Body of POST /v1/credentials and POST /v1/credentials/{id}/update: Skyvern's
 * `CreateCredentialRequest`. Types are checked here; required fields per credential_type and
 * their rules in src/credentials (parseCredentialInput), so errors name the nested field.
 * Wren also takes the older flat login form `{name?, username, password, totp?}`.
 */
export const CredentialCreateSchema = z
  .object({
    name: optionalText(
      'name',
      'A label; defaults to the username, card brand + last four, or secret label.',
    ),
    credential_type: z
      .string({ error: 'credential_type must be one of password, credit_card, secret' })
      .optional()
      .describe('password (default), credit_card or secret'),
    credential: z
      .record(z.string(), z.unknown(), { error: 'credential must be an object' })
      .optional()
      .describe(
        'password: {username, password, totp?, totp_type?, totp_identifier?}; credit_card: ' +
          '{card_number, card_cvv, card_exp_month, card_exp_year, card_brand, card_holder_name, ' +
          'billing_address?, billing_email?, billing_phone?, metadata?}; secret: {secret_value, secret_label?}',
      ),
    vault_type: z.unknown().optional().describe('Only the built-in vault: "skyvern" or null.'),
    proxy_location: z.unknown().optional().describe('Accepted and ignored by Wren.'),
    proxy_session_id: z.unknown().optional().describe('Accepted and ignored by Wren.'),
    rotate_proxy_session_id: z.unknown().optional().describe('Accepted and ignored by Wren.'),
    ...loginFields,
  })
  .meta({
    id: 'CreateCredentialRequest',
    description:
      'A credential for tasks to use (credential_id in POST /v1/run/tasks). Passwords, card ' +
      'numbers, CVVs, TOTP secrets and secret values are encrypted at rest and never returned.',
  });

export const PasswordCredentialResponseSchema = z
  .object({
    username: z.string(),
    totp_type: TotpTypeSchema,
    totp_identifier: z.string().nullable(),
  })
  .meta({ id: 'PasswordCredentialResponse' });
export const CreditCardCredentialResponseSchema = z
  .object({ last_four: z.string(), brand: z.string() })
  .meta({ id: 'CreditCardCredentialResponse' });
export const SecretCredentialResponseSchema = z
  .object({ secret_label: z.string().nullable() })
  .meta({ id: 'SecretCredentialResponse' });

export const CredentialSchema = z
  .object({
    credential_id: z.string(),
    credential: z.union([
      PasswordCredentialResponseSchema,
      CreditCardCredentialResponseSchema,
      SecretCredentialResponseSchema,
    ]),
    credential_type: CredentialTypeSchema,
    name: z.string(),
    vault_type: z.literal('skyvern'),
    browser_profile_id: z.null(),
    tested_url: z.null(),
    user_context: z.null(),
    save_browser_session_intent: z.null(),
    folder_id: z.null(),
    proxy_location: z.null(),
    proxy_session_id: z.null(),
    created_at: naiveUtc.describe('Wren extension'),
    modified_at: naiveUtc.describe('Wren extension'),
  })
  .meta({ id: 'CredentialResponse' });

export const CredentialListQuerySchema = z.object({
  page: z.coerce
    .number({ error: 'page must be an integer ≥ 1' })
    .int({ error: 'page must be an integer ≥ 1' })
    .min(1, { error: 'page must be at least 1' })
    .default(1),
  page_size: z.coerce
    .number({ error: 'page_size must be an integer ≥ 1' })
    .int({ error: 'page_size must be an integer ≥ 1' })
    .min(1, { error: 'page_size must be at least 1' })
    .default(10),
  vault_type: z.string().optional(),
  credential_type: CredentialTypeSchema.optional(),
  search: z.string().max(200, { error: 'search must be at most 200 characters' }).optional(),
});

export const CredentialIdParamsSchema = z.object({ credential_id: z.string() });

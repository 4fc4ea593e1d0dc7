/**
 * Error codes a run ends with when a verification code cannot be obtained (docs/api.md "error_code_mapping"), and the
 * error thrown for bad caller input in this folder.
 */

export const OTP_ERROR_CODES = {
  /** Timed out waiting for a code from the configured sources. */
  OTP_TIMEOUT: 'OTP_TIMEOUT',
  /** A source failed on every attempt (e.g. the totp_url never answered per contract). */
  OTP_ERROR: 'OTP_ERROR',
  /** A code expired while it was being entered into several fields. */
  OTP_EXPIRED: 'OTP_EXPIRED',
  /** The site asks for a code but the run has no TOTP source. */
  MISSING_TOTP_SOURCE: 'MISSING_TOTP_SOURCE',
} as const;
export type OtpErrorCode = (typeof OTP_ERROR_CODES)[keyof typeof OTP_ERROR_CODES];

/** Bad input from a caller: names the field and says why, so the API can answer 400/422. */
export class CredentialInputError extends Error {
  override readonly name = 'CredentialInputError';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${field}: ${reason}`);
  }
}

/** A stored secret could not be decrypted: wrong key, unknown key id, or tampered data. */
export class SecretDecryptionError extends Error {
  override readonly name = 'SecretDecryptionError';
}

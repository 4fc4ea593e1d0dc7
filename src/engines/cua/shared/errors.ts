/** The model's reply does not have the shape its wire protocol promises. Fails the run. */
export class CuaProtocolError extends Error {
  override readonly name = 'CuaProtocolError';
  constructor(
    message: string,
    readonly raw?: unknown,
  ) {
    super(message);
  }
}

/** The provider answered with a non-2xx status. */
export class CuaHttpError extends Error {
  override readonly name = 'CuaHttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One action the model asked for cannot be run (unknown kind, bad arguments, unknown key).
 * It fails only that action; the message goes back to the model as the call's error output.
 */
export class CuaActionError extends Error {
  override readonly name = 'CuaActionError';
}

/** Pulls a readable message out of the provider error envelopes (OpenAI and Anthropic). */
export function providerErrorMessage(json: unknown): string {
  if (isRecord(json)) {
    const err = json['error'];
    if (isRecord(err) && typeof err['message'] === 'string') return err['message'];
    if (typeof err === 'string') return err;
    if (typeof json['message'] === 'string') return json['message'];
  }
  return 'no error message in the response body';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

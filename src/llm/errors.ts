import type { LlmCallRecord, TokenUsage } from './types.js';

export type LlmErrorKind =
  | 'config'
  | 'auth'
  | 'bad_request'
  | 'rate_limit'
  | 'server'
  | 'network'
  | 'timeout'
  | 'aborted'
  | 'invalid_output';

/** Every failure of the LLM layer. `retryable` says whether retrying later may help. */
export class LlmError extends Error {
  readonly kind: LlmErrorKind;
  readonly status: number | null;
  readonly attempts: number;
  readonly retryable: boolean;
  readonly record: LlmCallRecord | null;

  constructor(
    kind: LlmErrorKind,
    message: string,
    options: {
      status?: number | null;
      attempts?: number;
      retryable?: boolean;
      record?: LlmCallRecord | null;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LlmError';
    this.kind = kind;
    this.status = options.status ?? null;
    this.attempts = options.attempts ?? 0;
    this.retryable = options.retryable ?? false;
    this.record = options.record ?? null;
  }
}

/**
 * `error` as the LlmError a failed call throws, carrying the call's record (its error set) and
 * attempt count; anything that is not an LlmError yet counts as a network failure.
 */
export function failedCall(
  error: unknown,
  record: LlmCallRecord,
  attempts: number | undefined,
  describe: (error: unknown) => string = String,
): LlmError {
  const e =
    error instanceof LlmError ? error : new LlmError('network', describe(error), { cause: error });
  record.error = e.message;
  return new LlmError(e.kind, e.message, {
    status: e.status,
    attempts: attempts ?? e.attempts,
    retryable: e.retryable,
    record,
    cause: e.cause ?? e,
  });
}

/**
 * The model answered, but not with JSON valid against the requested schema. Engines retry by
 * sending `feedback` back to the model together with its previous `text`.
 */
export class LlmOutputError extends LlmError {
  readonly text: string;
  /** ajv messages, e.g. `/items/0/price must be number`, or a parse failure. */
  readonly problems: string[];
  /** A ready-to-send message telling the model what was wrong. */
  readonly feedback: string;
  /** The call was answered and billed: its tokens and price still count. */
  readonly usage: TokenUsage | null;
  readonly costUsd: number;
  /** "provider/model" that answered. */
  readonly model: string | null;

  constructor(
    text: string,
    problems: string[],
    options: {
      attempts?: number;
      record?: LlmCallRecord | null;
      usage?: TokenUsage;
      costUsd?: number;
      model?: string;
    } = {},
  ) {
    super(
      'invalid_output',
      `Model output is not valid JSON for the schema: ${problems.join('; ')}`,
      {
        ...options,
        retryable: true,
      },
    );
    this.name = 'LlmOutputError';
    this.text = text;
    this.problems = problems;
    this.usage = options.usage ?? null;
    this.costUsd = options.costUsd ?? 0;
    this.model = options.model ?? null;
    this.feedback =
      'Your previous reply could not be used: ' +
      problems.join('; ') +
      '. Reply again with only a JSON value that satisfies the schema.';
  }
}

export function isLlmError(value: unknown): value is LlmError {
  return value instanceof LlmError;
}

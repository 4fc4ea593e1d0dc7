import type { EngineOutcome, EngineResult, RunErrorObject, Usage } from '../types.js';

/** JSON Schema of one ReportedErrorCode in a model reply. */
export const REPORTED_ERROR_CODE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'reasoning', 'confidence'],
  properties: {
    code: { type: 'string' },
    reasoning: { type: 'string' },
    confidence: { type: 'number' },
  },
} as const;

export interface ReportedErrorCode {
  code: string;
  reasoning: string;
  confidence: number;
}

/**
 * The caller's error_code_mapping: codes reported by the model are kept only when they are in the
 * mapping (first report of each code wins), in the contract's `errors[]` shape.
 */
export class UserErrorCodes {
  /** A run's result: a run that did not complete carries the matched codes in its output too. */
  result(
    outcome: EngineOutcome,
    systemErrors: RunErrorObject[],
    stepCount: number,
    usage: Usage,
  ): EngineResult {
    const reported =
      outcome.status === 'completed'
        ? outcome
        : { ...outcome, output: this.outputFor(outcome.output) };
    return {
      outcome: reported,
      errors: [...systemErrors, ...this.list()],
      stepCount,
      usage: { ...usage },
    };
  }

  private readonly found = new Map<string, RunErrorObject>();

  constructor(readonly mapping: Record<string, string> | null) {}

  get enabled(): boolean {
    return !!this.mapping && Object.keys(this.mapping).length > 0;
  }

  get size(): number {
    return this.found.size;
  }

  record(reported: readonly ReportedErrorCode[]): void {
    for (const e of reported) {
      if (!this.mapping || !(e.code in this.mapping) || this.found.has(e.code)) continue;
      this.found.set(e.code, {
        error_code: e.code,
        reasoning: e.reasoning,
        confidence_float: Math.min(Math.max(e.confidence, 0), 1),
        error_type: 'USER_DEFINED_ERROR',
      });
    }
  }

  /** Accepts the loosely typed `errors` array of a classification reply. */
  recordFromReply(json: unknown): void {
    const errors = (json as { errors?: unknown } | null)?.errors;
    if (!Array.isArray(errors)) return;
    this.record(
      errors
        .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null)
        .filter((e) => typeof e.code === 'string')
        .map((e) => ({
          code: e.code as string,
          reasoning: typeof e.reasoning === 'string' ? e.reasoning : '',
          confidence: typeof e.confidence === 'number' ? e.confidence : 1,
        })),
    );
  }

  list(): RunErrorObject[] {
    return [...this.found.values()];
  }

  /** `{"error": code}` for failed or terminated runs without other output (docs/api.md "error_code_mapping"). */
  outputFor(output: unknown): unknown {
    const first = this.list()[0];
    return output === undefined && first ? { error: first.error_code } : output;
  }
}

export const systemError = (error_code: string, reasoning: string): RunErrorObject => ({
  error_code,
  reasoning,
  error_type: 'SYSTEM_DEFINED_ERROR',
});

import type { AgentModel, PageObservation } from '../ports.js';
import { CLASSIFY_SCHEMA, renderClassifyPrompt } from '../skyvern-v1/prompts.js';
import type { EngineEvent } from '../types.js';
import type { UserErrorCodes } from './error-codes.js';
import { promptRequest } from './model-calls.js';
import type { UntrustedFence } from './untrusted.js';

/**
 * When a run fails or terminates without the model having reported a user-defined code, one
 * extra call decides which of the caller's codes apply (docs/api.md "error_code_mapping"). Best effort: a failing call
 * only costs the codes, never the run's own outcome.
 */
export async function classifyUserErrors(input: {
  model: AgentModel;
  userErrors: UserErrorCodes;
  fence: UntrustedFence;
  goal: string;
  failureReason: string;
  page: PageObservation | null;
  historyText: string;
  signal: AbortSignal;
  /** Where a failed classification is logged as a warning; without it, it is silent. */
  emit?: (event: EngineEvent) => void;
}): Promise<void> {
  const mapping = input.userErrors.mapping;
  if (!mapping || !input.userErrors.enabled || input.userErrors.size > 0) return;
  const prompt = renderClassifyPrompt({
    goal: input.goal,
    fence: input.fence,
    mapping,
    failureReason: input.failureReason,
    page: input.page,
    historyText: input.historyText,
  });
  try {
    const reply = await input.model.complete(
      promptRequest(
        'classifier',
        prompt,
        { schema: CLASSIFY_SCHEMA, name: 'error_codes' },
        input.signal,
      ),
    );
    input.userErrors.recordFromReply(reply.json);
  } catch (err) {
    if (input.signal.aborted) throw err;
    input.emit?.({
      type: 'log',
      level: 'warn',
      message: 'error-code classification failed',
      data: { error: (err as Error).message },
    });
  }
}

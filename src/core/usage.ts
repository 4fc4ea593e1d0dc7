/** Model usage of a step or a run: tokens both ways and what they cost. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

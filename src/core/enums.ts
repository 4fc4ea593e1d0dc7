/**
 * Value lists shared by every layer, with no dependencies: run statuses and engine names. The
 * contract, the store, the engines and the web UI all read them from here.
 */
export const RUN_STATUSES = [
  'created',
  'queued',
  'running',
  'paused',
  'timed_out',
  'failed',
  'terminated',
  'completed',
  'canceled',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses a run never leaves. */
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = [
  'completed',
  'failed',
  'terminated',
  'timed_out',
  'canceled',
];

export const ENGINE_NAMES = [
  'skyvern-1.0',
  'skyvern-2.0',
  'openai-cua',
  'anthropic-cua',
  'ui-tars',
] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export function isTerminalStatus(status: string): status is RunStatus {
  return (TERMINAL_RUN_STATUSES as readonly string[]).includes(status);
}

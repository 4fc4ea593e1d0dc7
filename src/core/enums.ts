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

/** Whether a run has finished: every layer asks this, none keeps its own list. */
export function isTerminalStatus(status: string): status is RunStatus {
  return (TERMINAL_RUN_STATUSES as readonly string[]).includes(status);
}

export const ENGINE_NAMES = [
  'skyvern-1.0',
  'skyvern-2.0',
  'openai-cua',
  'anthropic-cua',
  'ui-tars',
] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Skyvern's `run_type` of each run; `sdk_action` is Wren's (one AI primitive, docs/api.md). */
export const RUN_TYPES = [
  'task_v1',
  'task_v2',
  'openai_cua',
  'anthropic_cua',
  'ui_tars',
  'sdk_action',
] as const;
export type RunType = (typeof RUN_TYPES)[number];

/** The run type a task run of each engine reports. */
export const RUN_TYPE_BY_ENGINE: Readonly<Record<EngineName, RunType>> = {
  'skyvern-1.0': 'task_v1',
  'skyvern-2.0': 'task_v2',
  'openai-cua': 'openai_cua',
  'anthropic-cua': 'anthropic_cua',
  'ui-tars': 'ui_tars',
};

/** The engine behind a task run's type (none for `sdk_action`). */
export const ENGINE_BY_RUN_TYPE: Readonly<Partial<Record<RunType, EngineName>>> =
  Object.fromEntries(Object.entries(RUN_TYPE_BY_ENGINE).map(([engine, type]) => [type, engine]));

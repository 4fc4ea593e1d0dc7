/** Turns stored run records into the wire shapes of the contract. */
import type { RunStatus, RunType, TaskRunListItem, TaskRunResponse } from '../contract/index.js';
import type { RunRecord } from '../store/index.js';
import { maskHeaderValues, maskProxyUrl, SEALED_FIELD } from './sealed-request.js';

/**
 * The request echo with secrets masked: CDP auth headers and extra HTTP header values, proxy
 * passwords; the sealed envelope is never shown.
 */
export function requestEcho(request: Record<string, unknown>): TaskRunResponse['run_request'] {
  const { [SEALED_FIELD]: _sealed, ...shown } = request;
  const proxy = shown['proxy_location'];
  const proxyUrl =
    typeof proxy === 'object' && proxy !== null ? (proxy as { url?: unknown }).url : undefined;
  return {
    ...shown,
    cdp_connect_headers: maskHeaderValues(shown['cdp_connect_headers']),
    ...(shown['extra_http_headers'] !== undefined
      ? { extra_http_headers: maskHeaderValues(shown['extra_http_headers']) }
      : {}),
    proxy_location:
      typeof proxyUrl === 'string'
        ? { ...(proxy as object), url: maskProxyUrl(proxyUrl) }
        : shown['proxy_location'],
  } as TaskRunResponse['run_request'];
}

function outputOf(value: unknown): TaskRunResponse['output'] {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || Array.isArray(value)) return value;
  if (typeof value === 'object') return value as Record<string, unknown>;
  // Scalars are not part of the contract's output union; wrap them rather than lose them.
  return { value };
}

export function toTaskRunResponse(run: RunRecord, appUrl: string): TaskRunResponse {
  const request = run.request;
  const scrolls = request['max_screenshot_scrolls'];
  const sessionId = request['browser_session_id'];
  return {
    run_id: run.id,
    status: run.status as RunStatus,
    output: outputOf(run.output),
    downloaded_files: null,
    recording_url: null,
    recording_archived: false,
    screenshot_urls: null,
    failure_reason: run.failureReason,
    created_at: run.createdAt,
    modified_at: run.modifiedAt,
    queued_at: run.queuedAt,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    app_url: `${appUrl}/runs/${run.id}`,
    browser_session_id: typeof sessionId === 'string' ? sessionId : null,
    browser_profile_id:
      typeof request['browser_profile_id'] === 'string' ? request['browser_profile_id'] : null,
    max_screenshot_scrolls: typeof scrolls === 'number' ? scrolls : null,
    script_run: run.scriptRun,
    errors: run.errors,
    step_count: run.stepCount,
    run_type: run.runType as RunType,
    // An SDK action's request is not a task request (its action is in `output`'s run, timeline).
    run_request: run.runType === 'sdk_action' ? null : requestEcho(request),
    usage: {
      input_tokens: run.usage.inputTokens,
      output_tokens: run.usage.outputTokens,
      cost_usd: run.usage.costUsd,
    },
  };
}

export function toListItem(run: RunRecord): TaskRunListItem {
  return {
    task_run_id: run.id,
    run_id: run.id,
    task_run_type: run.runType as RunType,
    status: run.status as RunStatus,
    title: run.title,
    started_at: run.startedAt,
    finished_at: run.finishedAt,
    created_at: run.createdAt,
    workflow_permanent_id: null,
    workflow_deleted: false,
    script_run: run.scriptRun !== null,
    trigger_type: null,
    step_count: run.stepCount,
  };
}

/** Turns stored run records into the wire shapes of the contract. */
import type { TaskRunListItem, TaskRunResponse } from '../contract/index.js';
import type { RunRecord } from '../store/index.js';
import { isTaskRequest, maskedRequest } from './sealed-request.js';

function outputOf(value: unknown): TaskRunResponse['output'] {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || Array.isArray(value)) return value;
  if (typeof value === 'object') return value as Record<string, unknown>;
  // Scalars are not part of the contract's output union; wrap them rather than lose them.
  return { value };
}

export function toTaskRunResponse(run: RunRecord, appUrl: string): TaskRunResponse {
  const { request } = run;
  return {
    run_id: run.id,
    status: run.status,
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
    browser_session_id: request.browser_session_id ?? null,
    browser_profile_id: request.browser_profile_id ?? null,
    max_screenshot_scrolls: request.max_screenshot_scrolls ?? null,
    script_run: run.scriptRun,
    errors: run.errors,
    step_count: run.stepCount,
    run_type: run.runType,
    // An SDK action's request is not a task request (its action is in `output`'s run, timeline).
    run_request: isTaskRequest(request) ? maskedRequest(request) : null,
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
    task_run_type: run.runType,
    status: run.status,
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

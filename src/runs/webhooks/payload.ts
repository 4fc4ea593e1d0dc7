/**
 * The webhook body (docs/webhooks.md, v1/CUA shape): the TaskResponse-style keys first, then the
 * TaskRunResponse keys (without run_request) merged over them, keeping the first position of a
 * repeated key as Python's dict.update does. Serialized compactly; the exact string is signed.
 */
import type { ArtifactService } from '../../artifacts/index.js';
import type { TaskRunResponse } from '../../contract/index.js';
import type { RunRecord } from '../../store/index.js';
import { toTaskRunResponse } from '../present.js';

/** The run response with the artifact-backed fields filled. */
export async function presentRun(
  run: RunRecord,
  appUrl: string,
  artifacts?: ArtifactService,
): Promise<TaskRunResponse> {
  return (await presentRunWithFinalShot(run, appUrl, artifacts)).response;
}

async function presentRunWithFinalShot(
  run: RunRecord,
  appUrl: string,
  artifacts?: ArtifactService,
): Promise<{ response: TaskRunResponse; finalShot: string | null }> {
  const response = toTaskRunResponse(run, appUrl);
  if (!artifacts) return { response, finalShot: null };
  const results = await artifacts.runResults(run.id);
  return {
    response: {
      ...response,
      screenshot_urls: results.screenshot_urls,
      recording_url: results.recording_url,
      downloaded_files: results.downloaded_files,
    },
    finalShot: results.final_screenshot_url,
  };
}

export async function buildWebhookPayload(
  run: RunRecord,
  appUrl: string,
  artifacts?: ArtifactService,
): Promise<string> {
  const { response, finalShot } = await presentRunWithFinalShot(run, appUrl, artifacts);
  const maxSteps = run.request.max_steps;
  const taskResponse: Record<string, unknown> = {
    task_id: run.id,
    status: response.status,
    created_at: response.created_at,
    modified_at: response.modified_at,
    extracted_information: response.output,
    action_screenshot_urls: response.screenshot_urls,
    screenshot_url: finalShot ?? response.screenshot_urls?.[0] ?? null,
    recording_url: response.recording_url,
    recording_archived: false,
    browser_console_log_url: null,
    downloaded_files: response.downloaded_files,
    downloaded_file_urls: response.downloaded_files?.map((f) => f.url) ?? null,
    failure_reason: response.failure_reason,
    failure_category: null,
    webhook_failure_reason: null,
    errors: response.errors ?? [],
    max_steps_per_run: typeof maxSteps === 'number' ? maxSteps : null,
    workflow_run_id: null,
    queued_at: response.queued_at,
    started_at: response.started_at,
    finished_at: response.finished_at,
    max_screenshot_scrolls: response.max_screenshot_scrolls,
    step_count: response.step_count,
    browser_session_id: response.browser_session_id,
  };
  const { run_request: _omitted, ...runResponse } = response;
  return JSON.stringify({ ...taskResponse, ...runResponse });
}

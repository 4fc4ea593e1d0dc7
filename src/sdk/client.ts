/**
 * A small typed HTTP client for Wren's (Skyvern-compatible) Run Task API. Node 20+ or any
 * runtime with fetch.
 */
import type {
  ListRunsQuery,
  RunStatus,
  TaskRunListItem,
  TaskRunRequestInput,
  TaskRunResponse,
  ValidationErrorItem,
} from '../contract/index.js';

export type { ListRunsQuery, RunStatus, TaskRunListItem, TaskRunRequestInput, TaskRunResponse };

export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = [
  'completed',
  'failed',
  'terminated',
  'timed_out',
  'canceled',
];

/** A non-2xx answer. `detail` is the server's {"detail": …}: a message or validation items. */
export class WrenApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | ValidationErrorItem[] | unknown,
  ) {
    super(
      Array.isArray(detail)
        ? (detail as ValidationErrorItem[]).map((d) => d.msg).join('; ')
        : typeof detail === 'string'
          ? detail
          : `HTTP ${status}`,
    );
  }
}

/** The operations the CLI needs; implemented over HTTP here and in-process by the embedded client. */
export interface RunsApi {
  runTask(request: TaskRunRequestInput): Promise<TaskRunResponse>;
  getRun(runId: string): Promise<TaskRunResponse>;
  listRuns(
    query?: Partial<Omit<ListRunsQuery, 'status'>> & { status?: RunStatus[] },
  ): Promise<TaskRunListItem[]>;
  cancelRun(runId: string): Promise<void>;
  close(): Promise<void>;
}

export interface WaitOptions {
  intervalMs?: number;
  timeoutMs?: number;
  /** Called on every poll with the run as it is. */
  onProgress?: (run: TaskRunResponse) => void;
}

/** Polls until the run reaches a terminal status (like Skyvern SDKs' wait_for_completion). */
export async function waitForCompletion(
  api: RunsApi,
  runId: string,
  options: WaitOptions = {},
): Promise<TaskRunResponse> {
  const interval = options.intervalMs ?? 1000;
  const deadline = Date.now() + (options.timeoutMs ?? 1_800_000);
  for (;;) {
    const run = await api.getRun(runId);
    options.onProgress?.(run);
    if (TERMINAL_RUN_STATUSES.includes(run.status)) return run;
    if (Date.now() > deadline)
      throw new Error(`Timeout waiting for run ${runId} (last status ${run.status})`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

export interface WrenClientOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
}

export class WrenClient implements RunsApi {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly options: WrenClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { 'x-api-key': this.options.apiKey };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    if (!response.ok) {
      const detail =
        typeof parsed === 'object' && parsed !== null && 'detail' in parsed
          ? (parsed as { detail: unknown }).detail
          : parsed;
      throw new WrenApiError(response.status, detail);
    }
    return parsed as T;
  }

  runTask(request: TaskRunRequestInput): Promise<TaskRunResponse> {
    return this.request('POST', '/v1/run/tasks', request);
  }

  getRun(runId: string): Promise<TaskRunResponse> {
    return this.request('GET', `/v1/runs/${encodeURIComponent(runId)}`);
  }

  listRuns(query: Parameters<RunsApi['listRuns']>[0] = {}): Promise<TaskRunListItem[]> {
    const params = new URLSearchParams();
    if (query.page) params.set('page', String(query.page));
    if (query.page_size) params.set('page_size', String(query.page_size));
    if (query.search_key) params.set('search_key', query.search_key);
    for (const status of query.status ?? []) params.append('status', status);
    const qs = params.toString();
    return this.request('GET', `/v1/runs${qs ? `?${qs}` : ''}`);
  }

  async cancelRun(runId: string): Promise<void> {
    await this.request('POST', `/v1/runs/${encodeURIComponent(runId)}/cancel`);
  }

  async close(): Promise<void> {}
}

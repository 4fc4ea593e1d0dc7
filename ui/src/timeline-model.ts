/**
 * Turns a run's timeline answer into steps to draw. Reads Skyvern's timeline shape
 * ({type: "thought"|"block", thought?, block?, children[]}) and flat per-step records
 * ({step_index|order, status, reasoning, actions[], screenshot_url(s), tokens, cost}) alike, so the
 * page lights up with whichever the server returns. Wren's step blocks add `summary`, `actions[]`
 * of `{action, ok, note, duration_ms}` and `model_calls[]` (src/runs/timeline.ts). Pure:
 * unit-tested without a browser.
 */
type Rec = Record<string, unknown>;

export interface StepView {
  key: string;
  index: number | null;
  title: string;
  status: string | null;
  reasoning: string | null;
  actions: ActionView[];
  modelCalls: ModelCallView[];
  screenshots: string[];
  inputTokens: number | null;
  outputTokens: number | null;
  cost: number | null;
  createdAt: string | null;
  raw: unknown;
  children: StepView[];
}

export interface ModelCallView {
  role: string;
  model: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  cost: number | null;
  durationMs: number | null;
}

export interface ActionView {
  type: string;
  reasoning: string | null;
  result: string | null;
  ok: boolean | null;
  detail: Rec;
}

const obj = (v: unknown): Rec | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Rec) : null;
const str = (...values: unknown[]): string | null => {
  for (const v of values) if (typeof v === 'string' && v.trim()) return v;
  return null;
};
const num = (...values: unknown[]): number | null => {
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) return v;
  return null;
};

function normalizeAction(value: unknown): ActionView {
  const a = obj(value) ?? {};
  const results = Array.isArray(a['action_results']) ? (a['action_results'] as unknown[]) : [];
  const last = obj(results[results.length - 1]);
  const result = obj(a['result']);
  const success =
    a['ok'] ?? a['success'] ?? last?.['success'] ?? result?.['success'] ?? result?.['ok'];
  const status = str(a['status']);
  return {
    type: str(a['action_type'], a['action'], a['type'], a['name'], a['kind']) ?? 'action',
    reasoning: str(a['reasoning'], a['intention'], a['thought']),
    result: str(
      a['note'],
      typeof a['result'] === 'string' ? a['result'] : null,
      result?.['message'],
      result?.['summary'],
      last?.['exception_message'],
      last?.['data'] && typeof last['data'] === 'string' ? last['data'] : null,
      a['error'],
      status,
    ),
    ok: typeof success === 'boolean' ? success : status ? !/fail|error/i.test(status) : null,
    detail: a,
  };
}

function normalizeModelCall(value: unknown): ModelCallView {
  const c = obj(value) ?? {};
  return {
    role: str(c['role'], c['thought_type']) ?? 'model',
    model: str(c['model'], c['last_llm_model']),
    inputTokens: num(c['input_tokens'], c['input_token_count']),
    outputTokens: num(c['output_tokens'], c['output_token_count']),
    cost: num(c['cost_usd'], c['cost']),
    durationMs: num(c['duration_ms']),
  };
}

function screenshotsOf(r: Rec): string[] {
  const out: string[] = [];
  for (const key of ['screenshot_urls', 'screenshots']) {
    const v = r[key];
    if (Array.isArray(v)) for (const s of v) if (typeof s === 'string') out.push(s);
  }
  for (const key of ['screenshot_url', 'screenshot']) {
    const v = r[key];
    if (typeof v === 'string') out.push(v);
  }
  const artifacts = r['artifacts'];
  if (Array.isArray(artifacts))
    for (const a of artifacts) {
      const art = obj(a);
      if (art && /screenshot/.test(String(art['artifact_type'] ?? '')))
        out.push(str(art['signed_url']) ?? `/v1/artifacts/${String(art['artifact_id'])}/content`);
    }
  return [...new Set(out)];
}

export function normalizeStep(value: unknown, position: number): StepView {
  const item = obj(value) ?? {};
  const block = obj(item['block']);
  const thought = obj(item['thought']);
  const r: Rec = { ...(thought ?? {}), ...(block ?? {}), ...item };
  const usage = obj(r['usage']);
  const actions = Array.isArray(r['actions']) ? (r['actions'] as unknown[]) : [];
  const calls = Array.isArray(r['model_calls']) ? (r['model_calls'] as unknown[]) : [];
  const children = Array.isArray(item['children']) ? (item['children'] as unknown[]) : [];
  const index = num(r['step_index'], r['order'], r['index'], r['step_number']);
  const modelCalls = calls.map(normalizeModelCall);
  // Some engines count usage on the model calls only (the step's own totals stay 0).
  const callSum = (pick: (c: ModelCallView) => number | null): number | null =>
    modelCalls.some((c) => pick(c)) ? modelCalls.reduce((t, c) => t + (pick(c) ?? 0), 0) : null;
  const orCalls = (own: number | null, pick: (c: ModelCallView) => number | null) =>
    own ? own : (callSum(pick) ?? own);
  return {
    key: String(r['step_id'] ?? r['workflow_run_block_id'] ?? r['thought_id'] ?? `${position}`),
    index,
    title:
      str(
        r['label'],
        r['title'],
        r['goal'],
        r['navigation_goal'],
        r['block_type'],
        r['thought_type'],
      ) ?? (item['type'] === 'thought' ? 'Thought' : `Step ${(index ?? position) + 1}`),
    status: str(r['status']),
    reasoning: str(
      r['reasoning'],
      thought?.['thought'],
      r['thought'],
      r['summary'],
      thought?.['answer'],
      r['description'],
    ),
    actions: actions.map(normalizeAction),
    modelCalls,
    screenshots: screenshotsOf(r),
    inputTokens: orCalls(
      num(r['input_tokens'], usage?.['input_tokens'], r['input_token_count']),
      (c) => c.inputTokens,
    ),
    outputTokens: orCalls(
      num(r['output_tokens'], usage?.['output_tokens'], r['output_token_count']),
      (c) => c.outputTokens,
    ),
    cost: orCalls(
      num(r['cost_usd'], usage?.['cost_usd'], r['step_cost'], r['thought_cost'], r['cost']),
      (c) => c.cost,
    ),
    createdAt: str(r['created_at'], r['started_at']),
    raw: value,
    children: children.map((c, i) => normalizeStep(c, i)),
  };
}

export function timelineItems(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  const o = obj(body);
  for (const key of ['steps', 'timeline', 'items'])
    if (o && Array.isArray(o[key])) return o[key] as unknown[];
  return [];
}

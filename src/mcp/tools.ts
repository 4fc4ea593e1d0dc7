/**
 * The tools, one record each: name, schemas (zod, published as JSON Schema with inputSchema and
 * outputSchema) and a handler over McpBackend. A handler returns the structured result; the server
 * (server.ts) adds the text and image content and turns thrown errors into tool errors.
 */
import { z } from 'zod';
import {
  BrowserSessionResponseSchema,
  CreateBrowserSessionRequestSchema,
  isTerminalStatus,
  RUN_STATUSES,
  TaskRunListItemSchema,
  TaskRunRequestSchema,
  TaskRunResponseSchema,
} from '../contract/index.js';
import {
  type McpBackend,
  type McpPrimitive,
  McpToolError,
  type PrimitiveReply,
} from './backend.js';

export interface ToolContext {
  signal: AbortSignal;
  /** Sends notifications/progress when the caller gave a progressToken (else does nothing). */
  progress(progress: number, message: string): Promise<void>;
  /** How often a waiting run_task polls, ms. */
  pollIntervalMs: number;
}

export interface ToolOutcome {
  structured: Record<string, unknown>;
  /** PNG, base64: sent as image content too. */
  image?: string;
}

export interface ToolDef {
  name: string;
  title: string;
  description: string;
  input: z.ZodType;
  output: z.ZodType;
  annotations?: { readOnlyHint?: boolean; destructiveHint?: boolean; openWorldHint?: boolean };
  /** Parse args with `input` (field-named errors) before calling; off when the backend validates. */
  validate: boolean;
  run(args: Record<string, unknown>, backend: McpBackend, ctx: ToolContext): Promise<ToolOutcome>;
}

const runId = z.string().min(1).describe('The run id (tsk_…, wr_…, sdk_…)');
const sessionId = z
  .string()
  .min(1)
  .describe('The browser session to act on (pbs_…, from wren_create_browser_session)');
const goFirst = z
  .string()
  .min(1)
  .optional()
  .describe('Go to this URL first when the page is elsewhere');
const actionRun = z.string().describe('The sdk_action run recording this call (wren_get_run)');

const RunTaskInput = TaskRunRequestSchema.extend({
  wait: z
    .boolean()
    .default(false)
    .describe(
      'Wait until the run finishes (completed, failed, terminated, timed_out, canceled) and ' +
        'return it; progress notifications are sent meanwhile when the request has a progressToken',
    ),
  timeout_seconds: z
    .number()
    .positive()
    .max(86_400)
    .default(600)
    .describe('With wait: longest wait; then the run is returned as it is (still running)'),
});
const WaitArgs = z.object({
  wait: RunTaskInput.shape.wait,
  timeout_seconds: RunTaskInput.shape.timeout_seconds,
});

async function waitForRun(
  backend: McpBackend,
  id: string,
  timeoutSeconds: number,
  ctx: ToolContext,
): Promise<Awaited<ReturnType<McpBackend['getRun']>>> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let sent = 0;
  let last = '';
  let quiet = 0;
  for (;;) {
    if (ctx.signal.aborted) throw new McpToolError(`stopped waiting for run ${id}: canceled`);
    const run = await backend.getRun(id);
    if (isTerminalStatus(run.status)) return run;
    const line = `run ${id}: ${run.status}, ${run.step_count ?? 0} steps`;
    // On every change, and every ~10 polls otherwise (keeps a client's progress timeout alive).
    if (line !== last || ++quiet >= 10) {
      last = line;
      quiet = 0;
      await ctx.progress(++sent, line);
    }
    if (Date.now() >= deadline) return run;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ctx.pollIntervalMs);
      ctx.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
  }
}

function primitiveTool(
  name: string,
  title: string,
  description: string,
  fields: z.ZodRawShape,
  output: z.ZodRawShape,
  toAction: (args: Record<string, unknown>) => McpPrimitive,
  present: (reply: PrimitiveReply) => Record<string, unknown>,
  annotations: ToolDef['annotations'] = {},
): ToolDef {
  return {
    name,
    title,
    description,
    input: z.object({ browser_session_id: sessionId, url: goFirst, ...fields }),
    output: z.object({ run_id: actionRun, ...output }),
    annotations: { openWorldHint: true, ...annotations },
    validate: true,
    async run(args, backend) {
      const reply = await backend.primitive(
        String(args['browser_session_id']),
        toAction(args),
        (args['url'] as string | undefined) ?? null,
      );
      return {
        structured: { run_id: reply.runId, ...present(reply) },
        ...(reply.screenshot ? { image: reply.screenshot } : {}),
      };
    },
  };
}

const ObservedSchema = z.object({
  selector: z.string().describe('Playwright selector matching only this element'),
  description: z.string(),
  action: z.string().describe('What would carry out the instruction on it (click, input_text, …)'),
});

export const TOOLS: ToolDef[] = [
  {
    name: 'wren_run_task',
    title: 'Run a browser task',
    description:
      "Starts an AI agent on a browser task (Skyvern's Run Task API: every field of POST " +
      '/v1/run/tasks). Returns the run at once, or with wait=true when it has finished ' +
      '(status, output, failure_reason, recording_url, downloaded_files).',
    input: RunTaskInput,
    output: TaskRunResponseSchema,
    annotations: { openWorldHint: true },
    validate: false, // the API validates the run fields (errors name the field)
    async run(args, backend, ctx) {
      const { wait, timeout_seconds, ...request } = args;
      const waiting = WaitArgs.safeParse({ wait, timeout_seconds });
      if (!waiting.success) throw new McpToolError(issues(waiting.error));
      const run = await backend.runTask(request);
      if (!waiting.data.wait || isTerminalStatus(run.status)) {
        return { structured: run };
      }
      await ctx.progress(0, `run ${run.run_id}: ${run.status}`);
      return {
        structured: await waitForRun(backend, run.run_id, waiting.data.timeout_seconds, ctx),
      };
    },
  },
  {
    name: 'wren_get_run',
    title: 'Get a run',
    description:
      'A run (task or sdk_action) with its status, output, failure reason, step count, usage ' +
      'and links to the recording and screenshots.',
    input: z.object({ run_id: runId }),
    output: TaskRunResponseSchema,
    annotations: { readOnlyHint: true },
    validate: true,
    async run(args, backend) {
      return { structured: await backend.getRun(String(args['run_id'])) };
    },
  },
  {
    name: 'wren_list_runs',
    title: 'List runs',
    description: 'Runs, newest first, optionally filtered by status or a search text.',
    input: z.object({
      page: z.number().int().min(1).max(100).optional().describe('Page number, from 1'),
      page_size: z.number().int().min(1).max(100).optional().describe('Runs per page (10)'),
      status: z.array(z.enum(RUN_STATUSES)).optional().describe('Only runs in these statuses'),
      search_key: z.string().min(3).optional().describe('Substring of the run id, title or prompt'),
    }),
    output: z.object({ runs: z.array(TaskRunListItemSchema) }),
    annotations: { readOnlyHint: true },
    validate: true,
    async run(args, backend) {
      return { structured: { runs: await backend.listRuns(args) } };
    },
  },
  {
    name: 'wren_cancel_run',
    title: 'Cancel a run',
    description: 'Cancels a queued or running run and returns it.',
    input: z.object({ run_id: runId }),
    output: TaskRunResponseSchema,
    annotations: { destructiveHint: true },
    validate: true,
    async run(args, backend) {
      const id = String(args['run_id']);
      await backend.cancelRun(id);
      return { structured: await backend.getRun(id) };
    },
  },
  {
    name: 'wren_create_browser_session',
    title: 'Create a browser session',
    description:
      'Starts a persistent browser that the primitives (wren_navigate, wren_act, …) and runs ' +
      '(browser_session_id of wren_run_task) act on. Close it with wren_close_browser_session.',
    input: CreateBrowserSessionRequestSchema,
    output: BrowserSessionResponseSchema,
    annotations: { openWorldHint: true },
    validate: false, // the API validates (timeout, proxy_location, browser_profile_id)
    async run(args, backend) {
      return { structured: await backend.createBrowserSession(args) };
    },
  },
  {
    name: 'wren_close_browser_session',
    title: 'Close a browser session',
    description: 'Closes a browser session and its browser.',
    input: z.object({ browser_session_id: sessionId }),
    output: z.object({ browser_session_id: z.string(), closed: z.literal(true) }),
    annotations: { destructiveHint: true },
    validate: true,
    async run(args, backend) {
      const id = String(args['browser_session_id']);
      await backend.closeBrowserSession(id);
      return { structured: { browser_session_id: id, closed: true } };
    },
  },
  primitiveTool(
    'wren_navigate',
    'Go to a URL',
    "Loads a URL in the session's page; returns where the page ended up.",
    { url: z.string().min(1).describe('The URL to load') },
    { url: z.string().describe('The page URL after loading') },
    (a) => ({ type: 'goto', url: String(a['url']) }),
    (r) => ({ url: String(r.result) }),
  ),
  primitiveTool(
    'wren_act',
    'Do one action',
    "Does one action described in words on the session's page, e.g. 'click the Sign in " +
      "button' or 'type ada@example.com into the email field'; returns the action and the " +
      'stable selector of the element.',
    {
      intention: z.string().min(1).describe('The action, in words'),
      data: z
        .union([z.string(), z.record(z.string(), z.unknown())])
        .optional()
        .describe('Values the action may need (e.g. the text to type)'),
    },
    {
      action: z.string().describe('click, input_text, select_option, check, uncheck or press'),
      selector: z.string().nullable(),
      value: z.string().nullable(),
    },
    (a) => ({
      type: 'ai_act',
      intention: String(a['intention']),
      ...(a['data'] !== undefined ? { data: a['data'] } : {}),
    }),
    (r) => {
      const o = r.result as { action: string; selector: string | null; value: string | null };
      return { action: o.action, selector: o.selector ?? null, value: o.value ?? null };
    },
  ),
  primitiveTool(
    'wren_extract',
    'Extract data',
    "Reads data from the session's page; with extract_schema (JSON Schema) the data is valid " +
      'against it.',
    {
      prompt: z.string().min(1).describe('What to extract'),
      extract_schema: z
        .record(z.string(), z.unknown())
        .optional()
        .describe('JSON Schema the data must match'),
    },
    { data: z.unknown().describe('The extracted data') },
    (a) => ({
      type: 'extract',
      prompt: String(a['prompt']),
      ...(a['extract_schema'] !== undefined ? { extract_schema: a['extract_schema'] } : {}),
    }),
    (r) => ({ data: r.result ?? null }),
    { readOnlyHint: true },
  ),
  primitiveTool(
    'wren_observe',
    'Find elements',
    'Lists elements of the page matching an instruction (best first, at most 5) with a ' +
      'selector and the action that would carry it out; does nothing on the page.',
    { prompt: z.string().min(1).describe('What to look for, e.g. "the Delete buttons"') },
    { candidates: z.array(ObservedSchema) },
    (a) => ({ type: 'observe', prompt: String(a['prompt']) }),
    (r) => ({
      candidates: (r.result as { selector: string; description: string; action: string }[]).map(
        (c) => ({ selector: c.selector, description: c.description, action: c.action }),
      ),
    }),
    { readOnlyHint: true },
  ),
  primitiveTool(
    'wren_validate',
    'Check a condition',
    'Whether a condition holds on the page now (e.g. "the cart is empty"), with the evidence.',
    { prompt: z.string().min(1).describe('The condition') },
    { valid: z.boolean(), evidence: z.string().nullable() },
    (a) => ({ type: 'validate', prompt: String(a['prompt']) }),
    (r) => ({
      valid: r.result === true,
      evidence: typeof r.details['evidence'] === 'string' ? r.details['evidence'] : null,
    }),
    { readOnlyHint: true },
  ),
  primitiveTool(
    'wren_screenshot',
    'Take a screenshot',
    "A PNG of the session's page (as image content) and its URL.",
    {},
    { url: z.string().describe('The page URL') },
    () => ({ type: 'screenshot' }),
    (r) => ({ url: String(r.result) }),
    { readOnlyHint: true },
  ),
];

/** `field: why; field: why` from zod issues (arguments are the tool's top-level fields). */
export function issues(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const missing = i.code === 'invalid_type' && /received undefined$/.test(i.message);
      return `${i.path.length ? i.path.join('.') : 'arguments'}: ${missing ? 'required' : i.message}`;
    })
    .join('; ');
}

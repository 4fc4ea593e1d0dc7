/**
 * POST /v1/sdk/run_action: one AI primitive (src/primitives) on a browser session or a browser
 * at browser_address, executed while the request waits, and recorded as a run of type
 * `sdk_action` (steps, usage, model prompts/responses and a screenshot as artifacts), visible in
 * GET /v1/runs/{id}, its timeline and the UI like any run.
 */
import type { Logger } from 'pino';
import type { ArtifactService } from '../artifacts/index.js';
import type { RunSdkActionRequest, RunSdkActionResponse } from '../contract/index.js';
import { badRequest, newId, ServiceError } from '../core/index.js';
import { type EngineServices, EngineSetupError, type TaskSpec } from '../engines/index.js';
import type { CompletionResult, Llm } from '../llm/index.js';
import {
  newContext,
  type PrimitiveContext,
  PrimitiveError,
  runSdkAction,
  type SdkAction,
} from '../primitives/index.js';
import type { RunUsage, Store } from '../store/index.js';
import { type EgressOptions, egressPolicy, refuseBlocked } from './egress.js';
import { now } from './service.js';

export interface SdkActionServiceOptions extends EgressOptions {
  store: Store;
  services: EngineServices;
  logger: Logger;
  artifacts?: ArtifactService;
  /** Checks a browser session exists and is live for the organization (409/404 otherwise). */
  assertSession?: (organizationId: string, sessionId: string) => Promise<void>;
}

/** What a caller may run on a live page: the request's action, plus the SDK/MCP-only ones. */
export type PrimitiveAction = SdkAction | { type: 'goto'; url: string } | { type: 'screenshot' };

export interface PrimitiveTarget {
  browserSessionId?: string | null;
  browserAddress?: string | null;
  /** Navigate here first when the page is elsewhere. */
  url?: string | null;
}

export interface PrimitiveRunResult {
  runId: string;
  result: unknown;
  details: Record<string, unknown>;
  /** PNG of the page after the action (screenshot primitive), base64. */
  screenshot?: string;
}

const ZERO: RunUsage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };

function describe(action: PrimitiveAction): string {
  const a = action as Record<string, unknown>;
  const what = a['intention'] || a['prompt'] || a['selector'] || a['url'] || '';
  return `${action.type}${what ? `: ${String(what)}` : ''}`;
}

export class SdkActionService {
  constructor(private readonly options: SdkActionServiceOptions) {}

  /** Skyvern's run_action. */
  async runAction(
    organizationId: string,
    request: RunSdkActionRequest,
  ): Promise<RunSdkActionResponse> {
    const out = await this.run(
      organizationId,
      {
        browserSessionId: request.browser_session_id ?? null,
        browserAddress: request.browser_address ?? null,
        url: request.url,
      },
      request.action as SdkAction,
      'action',
    );
    return { workflow_run_id: out.runId, result: out.result ?? null, details: out.details };
  }

  /**
   * Runs one primitive and records it. Caller mistakes (a selector and intention that find
   * nothing, a bad schema) are 4xx naming the field; the run row records the failure too.
   */
  async run(
    organizationId: string,
    target: PrimitiveTarget,
    action: PrimitiveAction,
    fieldPrefix = 'action',
  ): Promise<PrimitiveRunResult> {
    const sessionId = target.browserSessionId?.trim() || null;
    const address = target.browserAddress?.trim() || null;
    const needsPage = action.type !== 'prompt';
    if (needsPage && !sessionId && !address) {
      throw badRequest('browser_session_id: give a browser session (or browser_address) to act on');
    }
    if (!sessionId && address) await this.checkAddress(address);
    if (sessionId) await this.options.assertSession?.(organizationId, sessionId);

    const runId = newId('sdk');
    const startedAt = now();
    await this.options.store.runs.insert({
      id: runId,
      organizationId,
      engine: 'sdk',
      runType: 'sdk_action',
      status: 'running',
      title: describe(action).slice(0, 200),
      prompt: describe(action),
      request: {
        prompt: describe(action),
        url: target.url ?? null,
        browser_session_id: sessionId,
        browser_address: address,
        sdk_action: action,
      },
      webhookUrl: null,
      createdAt: startedAt,
      modifiedAt: startedAt,
      queuedAt: startedAt,
    });
    await this.options.store.runs.updateIf(runId, ['running'], {
      startedAt,
      modifiedAt: startedAt,
    });

    const spec: TaskSpec = {
      runId,
      organizationId,
      prompt: describe(action),
      url: target.url ?? null,
      engine: 'skyvern-1.0',
      title: null,
      dataExtractionSchema: null,
      errorCodeMapping: null,
      maxSteps: 1,
      totpIdentifier: null,
      totpUrl: null,
      browserSessionId: sessionId,
      browserAddress: sessionId ? null : address,
      cdpConnectHeaders: null,
      extraHttpHeaders: null,
      proxyLocation: null,
      includeActionHistoryInVerification: false,
      maxScreenshotScrolls: 0,
      model: (action as { model?: Record<string, unknown> | null }).model ?? null,
    };
    let llm: Llm | null = null;
    try {
      llm = this.options.services.llmFor(spec);
    } catch {
      llm = null; // selector-only calls need no model; the ones that do say so
    }
    const sink = this.options.artifacts?.sinkFor(runId);
    let ctx: PrimitiveContext | null = null;
    let browser: Awaited<ReturnType<EngineServices['openBrowser']>> | null = null;
    try {
      if (needsPage) {
        try {
          browser = await this.options.services.openBrowser(spec);
        } catch (e) {
          if (e instanceof EngineSetupError) throw new ServiceError(409, e.message);
          throw e;
        }
      }
      ctx = newContext(browser as never, llm);
      if (browser && target.url && action.type !== 'goto') {
        const current = browser.page().url();
        if (!sameUrl(current, target.url)) await browser.goto(target.url);
      }
      const outcome = await this.execute(ctx, action);
      const shot = browser
        ? await browser
            .page()
            .screenshot({ type: 'png' })
            .catch(() => null)
        : null;
      if (shot && sink) {
        await sink.put({
          type: 'screenshot_final',
          contentType: 'image/png',
          bytes: shot,
          stepId: 'step_0',
        });
      }
      await this.record(runId, ctx, 'completed', { output: outcome.result ?? null });
      return {
        runId,
        result: outcome.result,
        details: outcome.details,
        ...(action.type === 'screenshot' && shot ? { screenshot: shot.toString('base64') } : {}),
      };
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      await this.record(runId, ctx, 'failed', { failureReason: reason }).catch((err) =>
        this.options.logger.warn({ err, run_id: runId }, 'could not record an sdk action'),
      );
      if (e instanceof PrimitiveError) {
        const status = e.kind === 'no_model' ? 503 : e.kind === 'invalid' ? 422 : 400;
        const field =
          e.field && !e.message.startsWith(`${e.field}:`) ? `${fieldPrefix}.${e.field}: ` : '';
        const prefixed =
          e.field && e.message.startsWith(`${e.field}:`)
            ? `${fieldPrefix}.${e.message}`
            : e.message;
        throw new ServiceError(status, `${field}${prefixed} (run ${runId})`);
      }
      if (e instanceof ServiceError) throw e;
      throw new ServiceError(400, `${describe(action)} failed: ${reason} (run ${runId})`);
    } finally {
      await browser?.close().catch(() => {});
    }
  }

  private async execute(
    ctx: PrimitiveContext,
    action: PrimitiveAction,
  ): Promise<{ result: unknown; details: Record<string, unknown> }> {
    switch (action.type) {
      case 'goto': {
        await ctx.browser.goto((action as { url: string }).url);
        return { result: ctx.browser.page().url(), details: {} };
      }
      case 'screenshot':
        return { result: ctx.browser.page().url(), details: {} };
      default:
        return runSdkAction(ctx, action as SdkAction);
    }
  }

  private async checkAddress(address: string): Promise<void> {
    // CDP addresses may be ws(s)://; the policy looks at the host either way.
    const asHttp = address.replace(/^ws(s?):\/\//i, 'http$1://');
    await refuseBlocked(egressPolicy(this.options), 'browser_address', asHttp);
  }

  /** Steps (model calls, actions, the step), usage and the terminal status of the run. */
  private async record(
    runId: string,
    ctx: PrimitiveContext | null,
    status: 'completed' | 'failed',
    fields: { output?: unknown; failureReason?: string },
  ): Promise<void> {
    const { store } = this.options;
    const sink = this.options.artifacts?.sinkFor(runId);
    let usage = ZERO;
    await store.runs.insertStep({
      runId,
      stepIndex: 0,
      kind: 'step_started',
      summary: null,
      usage: ZERO,
      data: null,
      createdAt: now(),
    });
    const calls: CompletionResult[] = ctx?.calls ?? [];
    for (const call of calls) {
      const u = {
        inputTokens: call.usage.inputTokens,
        outputTokens: call.usage.outputTokens,
        costUsd: call.costUsd,
      };
      usage = {
        inputTokens: usage.inputTokens + u.inputTokens,
        outputTokens: usage.outputTokens + u.outputTokens,
        costUsd: usage.costUsd + u.costUsd,
      };
      await store.runs.insertStep({
        runId,
        stepIndex: 0,
        kind: 'model_call',
        summary: `${call.role} call to ${call.model} (${Math.round(call.durationMs)} ms)`,
        usage: u,
        data: { role: call.role, model: call.model, duration_ms: Math.round(call.durationMs) },
        createdAt: now(),
      });
      if (sink) {
        const meta = { role: call.role, model: call.model };
        await sink.put({
          type: 'llm_prompt',
          stepId: 'step_0',
          contentType: 'application/json',
          bytes: JSON.stringify({ ...meta, prompt: call.record.request }),
        });
        await sink.put({
          type: 'llm_response',
          stepId: 'step_0',
          contentType: 'application/json',
          bytes: JSON.stringify(call.record.response ?? call.text),
        });
      }
    }
    for (const [i, entry] of (ctx?.log ?? []).entries()) {
      await store.runs.insertStep({
        runId,
        stepIndex: 0,
        kind: 'action',
        summary: `${entry.action}${entry.ok ? '' : ' (failed)'}${entry.note ? ` — ${entry.note}` : ''}`,
        usage: ZERO,
        data: {
          action_index: i,
          action: entry.action,
          ok: entry.ok,
          note: entry.note ?? null,
          duration_ms: Math.round(entry.durationMs),
        },
        createdAt: now(),
      });
    }
    await store.runs.insertStep({
      runId,
      stepIndex: 0,
      kind: 'step_finished',
      summary: status === 'completed' ? 'done' : (fields.failureReason ?? 'failed'),
      usage,
      data: null,
      createdAt: now(),
    });
    const at = now();
    await store.runs.updateIf(runId, ['running'], {
      status,
      ...(fields.output !== undefined ? { output: wrapOutput(fields.output) } : {}),
      failureReason: fields.failureReason ?? null,
      stepCount: 1,
      usage,
      finishedAt: at,
      modifiedAt: at,
    });
  }
}

/** A run's output is an object, list or string; scalars (validate's boolean) are wrapped. */
function wrapOutput(value: unknown): unknown {
  if (value === null || typeof value === 'object' || typeof value === 'string') return value;
  return { result: value };
}

function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return a === b;
  }
}

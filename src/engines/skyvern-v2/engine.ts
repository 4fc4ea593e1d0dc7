import type { AgentModel, ModelReply, ModelRequest, PageObservation } from '../ports.js';
import { DomRun } from '../shared/dom-run.js';
import { systemError } from '../shared/error-codes.js';
import { extractWithSchema, schemaProblem } from '../shared/extraction.js';
import { addUsage, promptRequest } from '../shared/model-calls.js';
import { SkyvernV1Run } from '../skyvern-v1/engine.js';
import type {
  EngineContext,
  EngineEvent,
  EngineOutcome,
  EngineResult,
  RunErrorObject,
} from '../types.js';
import {
  EXTRACT_SCHEMA_SCHEMA,
  LOOP_ITEMS_SCHEMA,
  miniGoal,
  PLANNER_SCHEMA,
  renderHistory,
  renderPlannerPrompt,
  renderSchemaPrompt,
  renderSummaryPrompt,
  type SubgoalKind,
  type SubgoalRecord,
} from './prompts.js';

export interface SkyvernV2Options {
  /** Planning turns at most (each runs one sub-goal). */
  maxIterations?: number;
  /** Browser steps one navigate sub-goal may use at most. */
  maxStepsPerSubgoal?: number;
  /** Items a loop visits at most. */
  maxLoopItems?: number;
  /** Remaining steps at which the planner is told to wrap up. */
  wrapUpAt?: number;
  screenshots?: boolean;
  nonce?: string;
}

interface PlannerReply {
  required_subgoals: { subgoal: string; satisfied: boolean; evidence: string }[];
  goal_achieved: boolean;
  should_terminate: boolean;
  termination_reason: string;
  next: { kind: SubgoalKind; goal: string; loop_item_goal: string };
}

const LOOSE_OBJECT = { type: 'object' } as const;
const SUBGOAL_KINDS: readonly string[] = ['navigate', 'extract', 'loop', 'answer'];

function isPlannerReply(v: unknown): v is PlannerReply {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Partial<PlannerReply>;
  return (
    typeof p.next === 'object' &&
    p.next !== null &&
    SUBGOAL_KINDS.includes(p.next.kind) &&
    typeof p.next.goal === 'string'
  );
}

/**
 * skyvern-2.0: a planner that sets one sub-goal at a time (navigate, extract, loop over a list,
 * answer), runs each navigate step as a bounded skyvern-1.0 task, and writes the final answer from
 * the record of finished sub-goals. `max_steps` counts browser steps across all sub-goals.
 */
export class SkyvernV2Run extends DomRun<SkyvernV2Options> {
  private readonly history: SubgoalRecord[] = [];
  private stepsUsed = 0;
  private plannerCalls = 0;
  private lastRequired: PlannerReply['required_subgoals'] = [];

  /** The model port as seen by this run: usage added up, each call recorded. */
  private readonly model: AgentModel = {
    complete: (request: ModelRequest): Promise<ModelReply> =>
      this.countedCall(this.deps.model, this.stepsUsed, request),
  };

  private async observe(): Promise<PageObservation> {
    return this.deps.browser.observe({ screenshot: this.options.screenshots ?? false });
  }

  private result(outcome: EngineOutcome, systemErrors: RunErrorObject[] = []): EngineResult {
    return this.userErrors.result(outcome, systemErrors, this.stepsUsed, this.usage);
  }

  /** Runs a bounded skyvern-1.0 task; its events keep run-wide step numbers. */
  private async runInner(goal: string, maxSteps: number, schema: unknown): Promise<EngineResult> {
    const offset = this.stepsUsed;
    // The whole context (secrets and 2FA, artifacts) goes to the inner task; only step numbers
    // are shifted to stay run-wide.
    const innerCtx: EngineContext = {
      ...this.ctx,
      emit: (event: EngineEvent) =>
        this.ctx.emit(
          'stepIndex' in event ? { ...event, stepIndex: event.stepIndex + offset } : event,
        ),
    };
    const inner = new SkyvernV1Run(
      {
        ...this.task,
        prompt: miniGoal(goal, this.task.prompt),
        url: null,
        maxSteps,
        dataExtractionSchema: schema,
      },
      this.deps,
      innerCtx,
      {
        ...(this.options.screenshots !== undefined
          ? { screenshots: this.options.screenshots }
          : {}),
        ...(this.options.nonce !== undefined ? { nonce: this.options.nonce } : {}),
      },
    );
    const result = await inner.run();
    this.stepsUsed += result.stepCount;
    addUsage(this.usage, result.usage);
    for (const e of result.errors) {
      if (e.error_type === 'USER_DEFINED_ERROR') {
        this.userErrors.record([
          { code: e.error_code, reasoning: e.reasoning, confidence: e.confidence_float ?? 1 },
        ]);
      }
    }
    return result;
  }

  private async extract(goal: string, schema: Record<string, unknown>): Promise<unknown> {
    const page = await this.observe();
    const result = await extractWithSchema({
      model: this.model,
      schema,
      images: page.screenshots,
      signal: this.ctx.signal,
      render: (previousErrors) => ({
        system: [
          'You extract data from a web page into JSON. Use only what the page shows; null when absent.',
          this.fence.rule(),
        ].join('\n'),
        user: [
          `# What to extract\n${goal}\n\n(Overall goal: ${this.task.prompt})`,
          previousErrors.length ? `\n\n# Fix\n${previousErrors.join('\n')}` : '',
          `\n\n# Page\n${this.fence.wrap('current page', `URL: ${page.url}\n\n${page.text}`)}`,
        ].join(''),
      }),
    });
    if (!result.ok) throw new Error(`extraction failed: ${result.errors.join('; ')}`);
    return result.data;
  }

  /**
   * The JSON Schema an extract sub-goal's data must match, written by the model for that
   * sub-goal (the caller's data_extraction_schema, when given, is shown as the final shape to
   * reuse field names from). An unusable schema falls back to any JSON object.
   */
  private async schemaFor(goal: string): Promise<Record<string, unknown>> {
    const page = await this.observe();
    const prompt = renderSchemaPrompt({
      goal: this.task.prompt,
      subgoal: goal,
      fence: this.fence,
      page,
      finalSchema: this.schema,
    });
    const reply = await this.model.complete(
      promptRequest(
        'planner',
        prompt,
        { schema: EXTRACT_SCHEMA_SCHEMA, name: 'extraction_schema' },
        this.ctx.signal,
      ),
    );
    const schema = (reply.json as { schema?: unknown } | null)?.schema;
    const problem =
      typeof schema === 'object' && schema !== null && !Array.isArray(schema)
        ? schemaProblem(schema as Record<string, unknown>)
        : 'not a JSON object';
    if (problem === null) return schema as Record<string, unknown>;
    this.ctx.emit({
      type: 'log',
      level: 'warn',
      message: 'the generated extraction schema was unusable; extracting any JSON object',
      data: { problem },
    });
    return LOOSE_OBJECT;
  }

  private remaining(): number {
    return this.task.maxSteps - this.stepsUsed;
  }

  private record(
    kind: SubgoalKind,
    goal: string,
    result: Omit<SubgoalRecord, 'index' | 'kind' | 'goal'>,
  ): void {
    const index = this.history.length;
    this.history.push({ index, kind, goal, ...result });
    this.ctx.emit({
      type: 'subgoal_finished',
      subgoalIndex: index,
      status: result.status,
      outcome: result.outcome,
      ...(result.data !== undefined ? { data: result.data } : {}),
    });
  }

  private async runSubgoal(next: PlannerReply['next']): Promise<void> {
    const index = this.history.length;
    const firstStep = this.stepsUsed;
    this.ctx.emit({
      type: 'subgoal_started',
      subgoalIndex: index,
      kind: next.kind,
      goal: next.goal,
      firstStep,
    });
    const budget = Math.min(this.remaining(), this.options.maxStepsPerSubgoal ?? 10);
    switch (next.kind) {
      case 'navigate': {
        const r = await this.runInner(next.goal, budget, null);
        const o = r.outcome;
        this.record('navigate', next.goal, {
          status: o.status,
          outcome: o.status === 'completed' ? 'done' : o.failureReason,
          ...(o.status === 'completed' && o.output ? { data: o.output } : {}),
          steps: r.stepCount,
        });
        return;
      }
      case 'extract': {
        try {
          const schema = await this.schemaFor(next.goal);
          const data = await this.extract(next.goal, schema);
          this.record('extract', next.goal, {
            status: 'completed',
            outcome: 'extracted',
            data,
            steps: 0,
          });
        } catch (err) {
          if (this.ctx.signal.aborted) throw err;
          this.record('extract', next.goal, {
            status: 'failed',
            outcome: (err as Error).message,
            steps: 0,
          });
        }
        return;
      }
      case 'loop': {
        await this.runLoop(next.goal, next.loop_item_goal);
        return;
      }
      case 'answer':
        return;
    }
  }

  private async runLoop(listGoal: string, itemGoal: string): Promise<void> {
    const listPage = await this.observe();
    const stepsBefore = this.stepsUsed;
    let items: { label: string; url: string | null }[];
    try {
      const data = (await this.extract(
        `The items of this list: ${listGoal}`,
        LOOP_ITEMS_SCHEMA.properties.items as unknown as Record<string, unknown>,
      )) as { label: string; url: string | null }[];
      items = data.slice(0, this.options.maxLoopItems ?? 10);
    } catch (err) {
      if (this.ctx.signal.aborted) throw err;
      this.record('loop', listGoal, {
        status: 'failed',
        outcome: (err as Error).message,
        steps: 0,
      });
      return;
    }
    const results: unknown[] = [];
    let failures = 0;
    for (const item of items) {
      if (this.remaining() <= 0) break;
      this.ctx.signal.throwIfAborted();
      await this.deps.browser.open(item.url ? new URL(item.url, listPage.url).href : listPage.url);
      const goal = item.url
        ? `This page is "${item.label}". ${itemGoal}`
        : `Open "${item.label}" from this list, then: ${itemGoal}`;
      const r = await this.runInner(
        goal,
        Math.min(this.remaining(), this.options.maxStepsPerSubgoal ?? 10),
        null,
      );
      if (r.outcome.status === 'completed') {
        results.push({ item: item.label, result: r.outcome.output ?? null });
      } else {
        failures++;
        results.push({ item: item.label, error: r.outcome.failureReason });
      }
    }
    const visited = results.length;
    this.record('loop', `${listGoal} — for each: ${itemGoal}`, {
      status: visited > 0 && failures < visited ? 'completed' : 'failed',
      outcome: `${visited} of ${items.length} items visited, ${failures} failed`,
      data: results,
      steps: this.stepsUsed - stepsBefore,
    });
  }

  /** The final answer from the history, validated against the caller's schema when given. */
  private async summarize(
    partial: boolean,
    useCallerSchema = true,
  ): Promise<{ ok: true; output: unknown } | { ok: false; errors: string[] }> {
    const callerSchema = useCallerSchema ? this.schema : null;
    const schema = callerSchema ?? LOOSE_OBJECT;
    const result = await extractWithSchema({
      model: this.model,
      schema,
      images: [],
      role: 'planner',
      extraFields: { answer: 'The deliverable in one or a few sentences.' },
      signal: this.ctx.signal,
      render: (previousErrors) =>
        renderSummaryPrompt({
          goal: this.task.prompt,
          fence: this.fence,
          history: this.history,
          schema: callerSchema,
          partial,
          previousErrors,
        }),
    });
    if (!result.ok) return { ok: false, errors: result.errors };
    if (callerSchema) return { ok: true, output: result.data };
    return { ok: true, output: { answer: result.reply.answer ?? null, data: result.data } };
  }

  private missingSubgoals(): string {
    const missing = this.lastRequired.filter((s) => !s.satisfied).map((s) => s.subgoal);
    return missing.length ? missing.join('; ') : 'the planner had not confirmed the goal';
  }

  private classify(failureReason: string, page: PageObservation | null): Promise<void> {
    return this.classifyErrors(this.model, failureReason, page, renderHistory(this.history));
  }

  /**
   * Ends the run failed with the best partial result: written against the caller's schema when
   * the record allows, else as `{answer, data}` (a partial result often cannot meet a schema's
   * required fields or array lengths, and losing it would leave the caller nothing).
   */
  private async failWithPartial(reason: string, code: RunErrorObject): Promise<EngineResult> {
    await this.classify(reason, null);
    const attempt = (useCallerSchema: boolean) =>
      this.summarize(true, useCallerSchema).catch((err) => {
        if (this.ctx.signal.aborted) throw err;
        return { ok: false as const, errors: [(err as Error).message] };
      });
    let summary = await attempt(true);
    if (!summary.ok && this.schema) summary = await attempt(false);
    const output = summary.ok ? summary.output : undefined;
    return this.result(
      { status: 'failed', failureReason: reason, ...(output !== undefined ? { output } : {}) },
      [code],
    );
  }

  async run(): Promise<EngineResult> {
    const maxIterations = this.options.maxIterations ?? 15;
    let badPlans = 0;
    if (this.task.url) await this.deps.browser.open(this.task.url);
    while (this.plannerCalls < maxIterations) {
      this.ctx.signal.throwIfAborted();
      if (this.remaining() <= 0) {
        return this.failWithPartial(
          `Reached the max number of ${this.task.maxSteps} steps. Still missing: ${this.missingSubgoals()}.`,
          systemError('REACH_MAX_STEPS', 'The agent has reached the maximum number of steps.'),
        );
      }
      const page = await this.observe();
      const wrapUp = this.remaining() <= (this.options.wrapUpAt ?? 3);
      const prompt = renderPlannerPrompt({
        goal: this.task.prompt,
        fence: this.fence,
        page,
        history: this.history,
        stepsUsed: this.stepsUsed,
        maxSteps: this.task.maxSteps,
        errorCodeMapping: this.task.errorCodeMapping,
        wrapUp,
      });
      this.plannerCalls++;
      const reply = await this.model.complete(
        promptRequest(
          'planner',
          prompt,
          { schema: PLANNER_SCHEMA, name: 'plan' },
          this.ctx.signal,
          page.screenshots,
        ),
      );
      const plan = reply.json as PlannerReply;
      if (!isPlannerReply(plan)) {
        badPlans++;
        if (badPlans >= 3) {
          return this.failWithPartial(
            'The planner gave no usable plan three times in a row.',
            systemError('REACH_MAX_RETRIES', 'Planner replies did not match the plan schema.'),
          );
        }
        continue;
      }
      badPlans = 0;
      this.lastRequired = Array.isArray(plan.required_subgoals) ? plan.required_subgoals : [];
      if (plan.should_terminate) {
        const reason = plan.termination_reason || 'The planner found the goal impossible.';
        await this.classify(reason, page);
        return this.result({ status: 'terminated', failureReason: reason });
      }
      const unsatisfied = this.lastRequired.some((s) => !s.satisfied);
      if (plan.next.kind === 'answer' && unsatisfied) {
        // The planner stops although it lists parts of the goal as not done: a partial result,
        // not a completed run.
        const missing = `Still missing: ${this.missingSubgoals()}.`;
        return wrapUp
          ? this.failWithPartial(
              `Stopped near the step budget (${this.stepsUsed} of ${this.task.maxSteps} steps used). ${missing}`,
              systemError(
                'REACH_MAX_STEPS',
                'The planner wrapped up before the step budget ran out.',
              ),
            )
          : this.failWithPartial(
              `The planner stopped before the goal was reached. ${missing}`,
              systemError('GOAL_NOT_ACHIEVED', 'Required sub-goals were not satisfied.'),
            );
      }
      if ((plan.goal_achieved && !unsatisfied) || plan.next.kind === 'answer') {
        const summary = await this.summarize(false);
        if (summary.ok) return this.result({ status: 'completed', output: summary.output });
        return this.result(
          {
            status: 'failed',
            failureReason: `The final answer did not match data_extraction_schema: ${summary.errors.join('; ')}`,
          },
          [systemError('EXTRACTION_SCHEMA_MISMATCH', summary.errors.join('; '))],
        );
      }
      await this.runSubgoal(plan.next);
    }
    return this.failWithPartial(
      `Stopped after ${maxIterations} planning rounds without reaching the goal. Still missing: ${this.missingSubgoals()}.`,
      systemError('REACH_MAX_ITERATIONS', `Planner used ${maxIterations} rounds.`),
    );
  }
}

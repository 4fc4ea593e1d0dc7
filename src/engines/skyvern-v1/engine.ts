import type { Action } from '../../browser/index.js';
import type { ModelReply, ModelRequest, PageObservation } from '../ports.js';
import { ModelOutputError } from '../ports.js';
import { DomRun, type DomRunDeps } from '../shared/dom-run.js';
import { systemError } from '../shared/error-codes.js';
import { extractWithSchema } from '../shared/extraction.js';
import { promptRequest } from '../shared/model-calls.js';
import type { EngineOutcome, EngineResult, RunErrorObject } from '../types.js';
import { actorReplySchema, describeAction, parseActorReply } from './actions.js';
import { type ActionRecord, renderHistory, type StepRecord } from './history.js';
import {
  renderActorPrompt,
  renderExtractPrompt,
  renderVerifyPrompt,
  VERIFY_SCHEMA,
} from './prompts.js';
import { StagnationDetector } from './stagnation.js';

export interface SkyvernV1Options {
  /** Consecutive failed steps (unusable reply or failed action) before REACH_MAX_RETRIES. */
  maxConsecutiveFailures?: number;
  /** Send a viewport screenshot with each observation (vision models). */
  screenshots?: boolean;
  /** Fixed fence nonce and clock, for golden prompt tests. */
  nonce?: string;
  now?: () => Date;
}

export type SkyvernV1Deps = DomRunDeps;

/**
 * Whether the rest of a plan no longer fits the page (docs/engines.md, "Act"): the action
 * navigated, opened a tab or a dialog, or made new controls appear. Attribute and class changes
 * alone keep the batch going. (A removed target is noticed when the next action finds it gone.)
 */
function endsBatch(effects: {
  navigated: boolean;
  newTab: boolean;
  newElements: boolean;
  dialog?: string;
}): boolean {
  return effects.navigated || effects.newTab || !!effects.dialog || effects.newElements;
}

/** The next action's target is gone: the page changed under the plan, not a failure. */
const TARGET_GONE = 'element_stale';

/**
 * One run of the skyvern-1.0 engine: observe → plan (one model call, several actions) → act,
 * until a verified completion, a termination, or a budget runs out.
 */
export class SkyvernV1Run extends DomRun<SkyvernV1Options> {
  private readonly history: StepRecord[] = [];
  private readonly stagnation = new StagnationDetector();
  private lastPage: PageObservation | null = null;
  /** The last action's effects had played out when it returned (loop detection trusts it). */
  private pageSettled = true;
  private stepCount = 0;
  private stepObserveMs = 0;

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private checkCanceled(): void {
    this.ctx.signal.throwIfAborted();
  }

  private async callModel(
    stepIndex: number,
    request: Omit<ModelRequest, 'signal'>,
  ): Promise<ModelReply> {
    const started = Date.now();
    try {
      return await this.countedCall(this.deps.model, stepIndex, {
        ...request,
        signal: this.ctx.signal,
      });
    } catch (err) {
      this.ctx.emit({
        type: 'log',
        level: 'warn',
        message: `model call failed (${request.role})`,
        data: { stepIndex, error: (err as Error).message, durationMs: Date.now() - started },
      });
      throw err;
    }
  }

  private async observe(withScreenshot: boolean): Promise<PageObservation> {
    const started = Date.now();
    const page = await this.deps.browser.observe({
      screenshot: withScreenshot,
      screenshotScrolls: this.task.maxScreenshotScrolls,
    });
    this.lastPage = page;
    this.stepObserveMs += Date.now() - started;
    return page;
  }

  private result(outcome: EngineOutcome, systemErrors: RunErrorObject[] = []): EngineResult {
    return this.userErrors.result(outcome, systemErrors, this.stepCount, this.usage);
  }

  /** On failure or termination, a dedicated pass decides which user-defined codes apply. */
  private classify(failureReason: string): Promise<void> {
    const model = { complete: (req: ModelRequest) => this.callModel(this.stepCount, req) };
    return this.classifyErrors(model, failureReason, this.lastPage, renderHistory(this.history));
  }

  private async fail(reason: string, systemErrors: RunErrorObject[]): Promise<EngineResult> {
    await this.classify(reason);
    return this.result({ status: 'failed', failureReason: reason }, systemErrors);
  }

  private async verify(
    stepIndex: number,
    answer: string | null,
  ): Promise<{ ok: boolean; missing: string }> {
    const page = await this.observe(this.options.screenshots ?? false);
    const prompt = renderVerifyPrompt({
      goal: this.task.prompt,
      fence: this.fence,
      page,
      claimedAnswer: answer,
      history: this.task.includeActionHistoryInVerification ? this.history : null,
    });
    const reply = await this.callModel(
      stepIndex,
      promptRequest(
        'verifier',
        prompt,
        { schema: VERIFY_SCHEMA, name: 'verification' },
        this.ctx.signal,
        page.screenshots,
      ),
    );
    const v = reply.json as { goal_achieved?: unknown; missing?: unknown; evidence?: unknown };
    return {
      ok: v.goal_achieved === true,
      missing:
        typeof v.missing === 'string' && v.missing
          ? v.missing
          : String(v.evidence ?? 'not confirmed'),
    };
  }

  private async complete(stepIndex: number, answer: string | null): Promise<EngineResult> {
    if (!this.schema) {
      return this.result({ status: 'completed', output: answer === null ? null : { answer } });
    }
    const page = this.lastPage ?? (await this.observe(false));
    const schema = this.schema;
    const extraction = await extractWithSchema({
      model: { complete: (req) => this.callModel(stepIndex, req) },
      schema,
      images: page.screenshots,
      signal: this.ctx.signal,
      render: (previousErrors) =>
        renderExtractPrompt({
          goal: this.task.prompt,
          fence: this.fence,
          page,
          schema,
          answerHint: answer,
          errorCodeMapping: this.task.errorCodeMapping,
          previousErrors,
        }),
    });
    if (extraction.ok) return this.result({ status: 'completed', output: extraction.data });
    return this.fail(
      `The goal was reached but the extracted data did not match data_extraction_schema after 3 attempts: ${extraction.errors.join('; ')}`,
      [systemError('EXTRACTION_SCHEMA_MISMATCH', extraction.errors.join('; '))],
    );
  }

  async run(): Promise<EngineResult> {
    const maxFailures = this.options.maxConsecutiveFailures ?? 3;
    if (this.task.url) await this.deps.browser.open(this.task.url);
    let feedback: string[] = [];
    let consecutiveFailures = 0;
    let lastProblem = '';

    for (let stepIndex = 0; stepIndex < this.task.maxSteps; stepIndex++) {
      this.checkCanceled();
      this.stepCount = stepIndex + 1;
      this.ctx.emit({ type: 'step_started', stepIndex });
      this.stepObserveMs = 0;
      const page = await this.observe(this.options.screenshots ?? false);
      const prompt = renderActorPrompt({
        task: {
          goal: this.task.prompt,
          errorCodeMapping: this.task.errorCodeMapping,
          extractionPlanned: this.schema !== null,
          login: this.ctx.secrets?.login ?? null,
          credentialFields: this.ctx.secrets?.credentialFields ?? [],
        },
        fence: this.fence,
        page,
        history: this.history,
        feedback,
        stepIndex,
        maxSteps: this.task.maxSteps,
        now: this.now(),
      });
      const step: StepRecord = {
        index: stepIndex,
        url: page.url,
        progress: '',
        actions: [],
        feedback: [],
      };
      this.history.push(step);
      feedback = [];
      let reasoning = '';
      const finishStep = (summary: string) =>
        this.ctx.emit({
          type: 'step_finished',
          stepIndex,
          summary,
          ...(reasoning ? { reasoning } : {}),
          observeMs: this.stepObserveMs,
        });

      let reply: ModelReply;
      try {
        reply = await this.callModel(
          stepIndex,
          promptRequest(
            'actor',
            prompt,
            {
              schema: actorReplySchema({ errorCodes: !!this.task.errorCodeMapping }),
              name: 'next_actions',
            },
            this.ctx.signal,
            page.screenshots,
          ),
        );
      } catch (err) {
        if (!(err instanceof ModelOutputError)) throw err;
        consecutiveFailures++;
        lastProblem = `the model's reply was not valid JSON (${err.message})`;
        feedback.push(
          `Your last reply could not be used: ${err.message}. Reply with JSON matching the schema.`,
        );
        step.feedback.push(lastProblem);
        finishStep(`unusable model reply: ${err.message}`);
        if (consecutiveFailures >= maxFailures) {
          return this.fail(
            `Stopped after ${consecutiveFailures} failed attempts in a row: ${lastProblem}.`,
            [systemError('REACH_MAX_RETRIES', lastProblem)],
          );
        }
        continue;
      }

      const parsed = parseActorReply(reply.json, page.elementIds);
      step.progress = parsed.progress;
      reasoning = [parsed.pageState, parsed.progress].filter(Boolean).join(' — ');
      this.userErrors.record(parsed.errorCodes);

      const plan = parsed.actions.map(describeAction);
      const stagnation = this.stagnation.check(page.url, page.text, plan, this.pageSettled);
      if (stagnation === 'stuck') {
        return this.fail(
          `The agent kept repeating the same actions (${plan.join('; ')}) on an unchanged page at ${page.url}. Last assessment: ${parsed.progress || parsed.pageState}`,
          [systemError('STUCK_IN_LOOP', `Repeated ${plan.join('; ')} without effect.`)],
        );
      }
      if (stagnation === 'nudge') {
        feedback.push(
          'You already planned exactly these actions on this unchanged page and it did not help. Do something different.',
        );
      }

      let stepFailed = parsed.actions.length === 0;
      for (const [i, action] of parsed.actions.entries()) {
        this.checkCanceled();
        if (action.type === 'terminate') {
          step.actions.push({ description: describeAction(action), ok: true });
          finishStep(`terminate: ${action.reason}`);
          await this.classify(action.reason);
          return this.result({ status: 'terminated', failureReason: action.reason });
        }
        if (action.type === 'complete') {
          const verdict = await this.verify(stepIndex, action.answer);
          if (verdict.ok) {
            step.actions.push({ description: describeAction(action), ok: true, note: 'verified' });
            finishStep('goal achieved and verified');
            return this.complete(stepIndex, action.answer);
          }
          step.actions.push({
            description: describeAction(action),
            ok: false,
            note: `rejected: ${verdict.missing}`,
          });
          feedback.push(
            `An independent check on the current page did not confirm the goal: ${verdict.missing}. Continue working toward the goal.`,
          );
          break;
        }
        let executable: Action;
        if (action.type === 'enter_verification_code') {
          const secrets = this.ctx.secrets;
          if (!secrets?.hasTotpSource) {
            const reason =
              'The page asks for a verification code, but the run has no 2FA source: set credential_id (with a TOTP secret), totp_url or totp_identifier.';
            return this.fail(reason, [systemError('MISSING_TOTP_SOURCE', reason)]);
          }
          const code = await secrets.resolveTotp(this.ctx.signal);
          if (!code.ok) return this.fail(code.reason, [systemError(code.errorCode, code.reason)]);
          // The vault now holds the code as {{totp}}: substituted only as the keys are pressed.
          executable = { type: 'enter_code', id: action.id, text: '{{totp}}' };
        } else {
          executable = action;
        }
        const started = Date.now();
        const outcome = await this.deps.browser.execute(executable, this.ctx.signal);
        this.pageSettled = outcome.effects.settled ?? true;
        if (i > 0 && !outcome.ok && outcome.errorKind === TARGET_GONE) {
          const skipped = parsed.actions.length - i;
          step.feedback.push(
            `${skipped} planned action(s) skipped because the page changed (the element of "${describeAction(action)}" is gone).`,
          );
          break;
        }
        const record: ActionRecord = { description: describeAction(action), ok: outcome.ok };
        const notes: string[] = [];
        if (!outcome.ok)
          notes.push(`${outcome.errorKind ?? 'error'}: ${outcome.message ?? ''}`.trim());
        if (outcome.effects.newTab) notes.push('opened a new tab');
        if (outcome.effects.dialog) notes.push(`dialog: ${outcome.effects.dialog}`);
        if (outcome.effects.download) notes.push(`downloaded ${outcome.effects.download.filename}`);
        if (notes.length) record.note = notes.join('; ');
        step.actions.push(record);
        this.ctx.emit({
          type: 'action',
          stepIndex,
          actionIndex: i,
          action: record.description,
          ok: outcome.ok,
          ...(record.note ? { note: record.note } : {}),
          durationMs: Date.now() - started,
        });
        if (!outcome.ok) {
          stepFailed = true;
          lastProblem = `${record.description} failed: ${record.note ?? 'unknown error'}`;
          break;
        }
        const remaining = parsed.actions.length - i - 1;
        if (remaining > 0 && endsBatch(outcome.effects)) {
          step.feedback.push(`${remaining} planned action(s) skipped because the page changed.`);
          break;
        }
      }
      for (const p of parsed.problems) {
        feedback.push(p);
        step.feedback.push(p);
        lastProblem = p;
      }
      if (parsed.problems.length > 0 && parsed.actions.length === 0) stepFailed = true;

      consecutiveFailures = stepFailed ? consecutiveFailures + 1 : 0;
      finishStep(
        step.actions.map((a) => `${a.description}${a.ok ? '' : ' (failed)'}`).join('; ') ||
          'no action',
      );
      if (consecutiveFailures >= maxFailures) {
        return this.fail(
          `Stopped after ${consecutiveFailures} failed steps in a row. Last problem: ${lastProblem}.`,
          [systemError('REACH_MAX_RETRIES', lastProblem)],
        );
      }
    }

    const last = this.history.at(-1);
    const progress = last?.progress ? ` Last known progress: ${last.progress}` : '';
    const blocker = lastProblem ? ` Last problem: ${lastProblem}.` : '';
    return this.fail(
      `Reached the maximum steps (${this.task.maxSteps}) without achieving the goal.${progress}${blocker}`,
      [systemError('REACH_MAX_STEPS', 'The agent has reached the maximum number of steps.')],
    );
  }
}

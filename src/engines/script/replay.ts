/**
 * Replaying a compiled script (docs/code-mode.md): each step runs with Playwright on its selector,
 * no model. A step whose selector no longer finds one element heals: the agent gets the step's
 * intention as a sub-goal for that step only (one model call picks the element on the page as it
 * is now), the step is done there, and the script continues; the healed selector goes into the
 * next revision. A step that cannot heal, a wait for a page the run never reaches, or a final page
 * that is not the recorded one fails the run with the step and the reason (and the caller's error
 * codes, classified once), never a wrong success.
 */
import { randomBytes } from 'node:crypto';
import type { Locator, Page } from 'playwright-core';
import {
  type Action,
  errorMessage,
  nextDownload,
  type RunBrowser,
  resolveSelector,
} from '../../browser/index.js';
import {
  type ElementStep,
  type ExtractionRule,
  readyToClick,
  resolveValue,
  type ScriptBody,
  type ScriptStep,
  urlPattern,
} from '../../scripts/index.js';
import { CUA_ENGINE_NAMES } from '../cua/engines.js';
import type { AgentBrowser, AgentModel, ModelRequest, PageObservation } from '../ports.js';
import type { EngineServices } from '../services.js';
import { agentBrowserFromRun } from '../shared/agent-browser.js';
import { agentModelFromLlm } from '../shared/agent-model.js';
import { classifyUserErrors } from '../shared/classify.js';
import { systemError, UserErrorCodes } from '../shared/error-codes.js';
import {
  extractWithSchema,
  normalizeExtractionSchema,
  schemaViolations,
} from '../shared/extraction.js';
import { countedCall } from '../shared/model-calls.js';
import { RunArtifacts } from '../shared/run-artifacts.js';
import { UntrustedFence } from '../shared/untrusted.js';
import { renderExtractPrompt } from '../skyvern-v1/prompts.js';
import type { EngineContext, EngineResult, Usage } from '../types.js';
import { extractionRules, readWithRules } from './record.js';

export interface ReplayInput {
  body: ScriptBody;
  /** Values of the script's non-secret parameters (from the prompt, or the credential). */
  params: Record<string, string>;
}

export interface ReplayResult extends EngineResult {
  /** The model was used (a step healed, the extractor, or error classification). */
  aiFallback: boolean;
  /** Steps replaced by what healing found, by index; a completed run with any writes a revision. */
  healed: Map<number, ScriptStep>;
  /** Output rules found again on this page after the old ones failed (also writes a revision). */
  healedOutput?: ScriptBody['output'];
}

/** How long a step's selector may take to appear before the step heals. */
export const STEP_SELECTOR_WAIT_MS = 3_000;
/** How long a wait for a page state may take. */
export const PAGE_WAIT_MS = 15_000;
/** How long a click that downloads may take to save its file (the agent's `download` bound). */
const DOWNLOAD_WAIT_MS = 30_000;

const HEAL_SYSTEM = [
  'You repair one step of a recorded browser script. The step no longer finds its element, because the page changed.',
  'The page is given as lines like `[12] button "Save"`; the number in brackets is the element id.',
  'Answer with the id of the one element the step must act on now, or null when no element on this page can do what the step is for (for example the page says the goal cannot be done).',
].join('\n');

const HEAL_SCHEMA = {
  type: 'object',
  properties: {
    element_id: { type: ['string', 'null'], description: 'id in brackets, or null' },
    reason: { type: 'string', description: 'one short sentence' },
  },
  required: ['element_id', 'reason'],
  additionalProperties: false,
};

class StepFailure extends Error {}

function isElementStep(step: ScriptStep): step is ElementStep {
  return 'selector' in step && typeof step.selector === 'string';
}

export class ScriptReplay {
  private readonly usage: Usage = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
  private readonly healed = new Map<number, ScriptStep>();
  private readonly fence = new UntrustedFence(randomBytes(6).toString('hex'));
  private readonly userErrors: UserErrorCodes;
  private model: AgentModel | null = null;
  private aiFallback = false;
  private healedOutput: ScriptBody['output'] | null = null;
  private stepIndex = 0;
  private agentBrowser!: AgentBrowser;
  private browser!: RunBrowser;
  private ctx!: EngineContext;

  constructor(
    private readonly services: EngineServices,
    private readonly outer: EngineContext,
    private readonly input: ReplayInput,
  ) {
    this.userErrors = new UserErrorCodes(outer.task.errorCodeMapping);
  }

  private substitute(text: string): string {
    return this.ctx.secrets ? this.ctx.secrets.substitute(text) : text;
  }

  private modelFor(): AgentModel {
    if (!this.model) {
      const mask = this.ctx.secrets ? (t: string) => this.ctx.secrets!.mask(t) : undefined;
      this.model = agentModelFromLlm(this.services.llmFor(this.ctx.task), mask);
    }
    return this.model;
  }

  private async callModel(request: Omit<ModelRequest, 'signal'>) {
    this.aiFallback = true;
    return countedCall(
      this.modelFor(),
      { ...request, signal: this.ctx.signal },
      { usage: this.usage, emit: (event) => this.ctx.emit(event), stepIndex: this.stepIndex },
    );
  }

  async run(): Promise<ReplayResult> {
    const { services, outer } = this;
    const mask = outer.secrets ? (t: string) => outer.secrets!.mask(t) : undefined;
    const browser = await services.openBrowser(outer.task);
    this.browser = browser;
    const artifacts = new RunArtifacts(outer, browser, mask, {
      recording: services.recording,
      har: services.har,
    });
    try {
      await artifacts.start();
      this.ctx = artifacts.context();
      this.agentBrowser = agentBrowserFromRun(browser, {
        maxTokens: services.observationTokenBudget,
        ...(outer.secrets ? { substitute: (t: string) => outer.secrets!.substitute(t) } : {}),
      });
      try {
        return await this.steps(() => artifacts.afterAction());
      } finally {
        // The browser closes while the last artifacts are stored.
        await artifacts.finish(() => browser.close());
      }
    } finally {
      await browser.close().catch(() => {});
    }
  }

  private result(r: EngineResult): ReplayResult {
    return {
      ...r,
      aiFallback: this.aiFallback,
      healed: this.healed,
      ...(this.healedOutput && r.outcome.status === 'completed'
        ? { healedOutput: this.healedOutput }
        : {}),
    };
  }

  private async steps(afterAction: () => void): Promise<ReplayResult> {
    const { body } = this.input;
    const start = this.ctx.task.url ?? body.startUrl;
    if (start) await this.browser.goto(start);
    for (const [i, step] of body.steps.entries()) {
      this.ctx.signal.throwIfAborted();
      this.stepIndex = i;
      this.ctx.emit({ type: 'step_started', stepIndex: i });
      const started = Date.now();
      let note: string | undefined;
      try {
        note = await this.withEffects(step, () => this.runStep(i, step));
      } catch (err) {
        if (this.ctx.signal.aborted) throw err;
        const reason = `Step ${i + 1} (${step.intention}) failed: ${errorMessage(err)}`;
        this.ctx.emit({
          type: 'action',
          stepIndex: i,
          actionIndex: 0,
          action: `${step.kind} ${'selector' in step ? (step.selector ?? 'page') : ''}`.trim(),
          ok: false,
          note: errorMessage(err),
          durationMs: Date.now() - started,
        });
        this.ctx.emit({
          type: 'step_finished',
          stepIndex: i,
          summary: `failed: ${step.intention}`,
        });
        return this.fail(i + 1, reason, 'SCRIPT_STEP_FAILED');
      }
      this.ctx.emit({
        type: 'action',
        stepIndex: i,
        actionIndex: 0,
        action:
          `${step.kind} ${'selector' in step ? (step.selector ?? 'page') : 'urlPattern' in step ? step.urlPattern : ''}`.trim(),
        ok: true,
        ...(note ? { note } : {}),
        durationMs: Date.now() - started,
      });
      if (step.kind !== 'wait_for_url') afterAction();
      this.ctx.emit({ type: 'step_finished', stepIndex: i, summary: step.intention });
    }
    const count = body.steps.length;
    // The script's own final check: the run ends on the page the recorded run completed on.
    const page = this.browser.page();
    if (body.final.urlPattern) {
      const reached = await page
        .waitForURL((u) => urlPattern(u.href) === body.final.urlPattern, { timeout: PAGE_WAIT_MS })
        .then(() => true)
        .catch(() => false);
      if (!reached)
        return this.fail(
          count,
          `The script ended on ${page.url()}, not on the page the recorded run completed on (${body.final.urlPattern}).`,
          'SCRIPT_FINAL_CHECK_FAILED',
        );
    }
    const output = await this.output(page);
    if (!output.ok) return this.fail(count, output.reason, 'EXTRACTION_SCHEMA_MISMATCH');
    return this.result(
      this.userErrors.result({ status: 'completed', output: output.value }, [], count, this.usage),
    );
  }

  private async output(
    page: Page,
  ): Promise<{ ok: true; value: unknown } | { ok: false; reason: string }> {
    const o = this.input.body.output;
    if (o.mode === 'constant') return { ok: true, value: o.value };
    const schema = normalizeExtractionSchema(this.ctx.task.dataExtractionSchema);
    if (o.mode === 'rules') {
      const read = await this.readRules(page, o.rules);
      // What the rules read must still fit the run's schema (a list read off other elements
      // would not); else the extractor reads the page, as when an element is missing.
      if (read !== null && read !== undefined) {
        const wrong = schema ? schemaViolations(schema, read) : [];
        if (wrong.length === 0) return { ok: true, value: read };
        this.ctx.emit({
          type: 'log',
          level: 'info',
          message: `the output rules read data that does not fit the schema (${wrong.join('; ')}); the extractor reads the page`,
        });
      }
    }
    if (!schema) return { ok: true, value: null };
    // The AI fallback: the extractor reads the page.
    const observed = await this.agentBrowser.observe({ screenshot: false, withoutIds: true });
    const extraction = await extractWithSchema({
      model: { complete: (req) => this.callModel(req) },
      schema,
      images: [],
      signal: this.ctx.signal,
      render: (previousErrors) =>
        renderExtractPrompt({
          goal: this.ctx.task.prompt,
          fence: this.fence,
          page: observed,
          schema,
          answerHint: null,
          errorCodeMapping: this.ctx.task.errorCodeMapping,
          previousErrors,
        }),
    });
    // A heal of the output: rules that read what the extractor found off this page go into the
    // next revision, so the next replay makes no call (none found: the old rules stay).
    if (extraction.ok && o.mode === 'rules') {
      const again = await extractionRules(page, extraction.data).catch(() => null);
      if (again && 'rules' in again) this.healedOutput = { mode: 'rules', rules: again.rules };
    }
    return extraction.ok
      ? { ok: true, value: extraction.data }
      : {
          ok: false,
          reason: `The extracted data did not match data_extraction_schema: ${extraction.errors.join('; ')}`,
        };
  }

  /**
   * The output by its rules; while an element is missing, waits for the page's DOM to change
   * (results rendered after the page loaded) up to a step's selector wait, then gives null.
   */
  private async readRules(page: Page, rules: ExtractionRule[]): Promise<unknown> {
    const until = Date.now() + STEP_SELECTOR_WAIT_MS;
    for (;;) {
      const read = await readWithRules(page, rules).catch(() => null);
      if (read !== null && read !== undefined) return read;
      const left = until - Date.now();
      if (left <= 0 || this.ctx.signal.aborted) return null;
      await page
        .evaluate(
          (ms) =>
            new Promise<void>((resolve) => {
              const done = () => {
                observer.disconnect();
                resolve();
              };
              const observer = new MutationObserver(done);
              observer.observe(document, { subtree: true, childList: true, characterData: true });
              setTimeout(done, ms);
            }),
          left,
        )
        .catch(() => {});
    }
  }

  private async fail(steps: number, reason: string, code: string): Promise<ReplayResult> {
    let page: PageObservation | null = null;
    try {
      page = await this.agentBrowser.observe({ screenshot: false, withoutIds: true });
    } catch {
      // the page is gone; classify from the reason alone
    }
    if (this.userErrors.enabled) {
      await classifyUserErrors({
        model: { complete: (req) => this.callModel(req) },
        userErrors: this.userErrors,
        fence: this.fence,
        goal: this.ctx.task.prompt,
        failureReason: reason,
        page,
        historyText: this.input.body.steps
          .slice(0, steps)
          .map((s, i) => `${i + 1}. ${s.intention}`)
          .join('\n'),
        signal: this.ctx.signal,
        emit: (event) => this.ctx.emit(event),
      });
    }
    return this.result(
      this.userErrors.result(
        { status: 'failed', failureReason: reason },
        [systemError(code, reason)],
        steps,
        this.usage,
      ),
    );
  }

  /**
   * A URL to open: parameters filled in, secrets not. The recorded run's navigation did not fill
   * a `{{secret:…}}` placeholder into a URL either, and a replay must not send a password to the
   * host a URL names.
   */
  private url(v: Parameters<typeof resolveValue>[0]): string {
    return resolveValue(v, this.input.params, this.input.body.parameters);
  }

  private value(v: Parameters<typeof resolveValue>[0]): string {
    return this.substitute(resolveValue(v, this.input.params, this.input.body.parameters));
  }

  /** One step; returns a note for the action line (e.g. that it healed). */
  private async runStep(index: number, step: ScriptStep): Promise<string | undefined> {
    const page = this.browser.page();
    switch (step.kind) {
      case 'goto':
        await this.browser.goto(this.url(step.url));
        return undefined;
      case 'wait_for_url':
        await page.waitForURL((u) => urlPattern(u.href) === step.urlPattern, {
          timeout: PAGE_WAIT_MS,
          waitUntil: 'domcontentloaded',
        });
        return undefined;
      case 'press':
        if (!step.selector) {
          await page.keyboard.press(step.keys);
          return undefined;
        }
        break;
      case 'drag':
        return this.drag(step);
      case 'new_tab':
        await this.execute({
          type: 'new_tab',
          ...(step.url ? { url: this.url(step.url) } : {}),
        });
        return undefined;
      case 'switch_tab':
        await this.execute({ type: 'switch_tab', tab: await this.tabFor(step) });
        return undefined;
      case 'close_tab':
        await this.execute({ type: 'close_tab' });
        return undefined;
      case 'back':
      case 'reload':
        await this.execute({ type: step.kind });
        return undefined;
      case 'download':
        // The agent's own action: the URL policy, the run's cookies, its downloads concern saving
        // the file; it ends when the file is saved (30 s at most, else the step fails).
        await this.execute({
          type: 'download',
          url: this.url(step.url),
        });
        return undefined;
      case 'enter_code': {
        const secrets = this.ctx.secrets;
        if (!secrets?.hasTotpSource)
          throw new StepFailure('the run has no 2FA source for the one-time code');
        const code = await secrets.resolveTotp(this.ctx.signal);
        if (!code.ok) throw new StepFailure(code.reason);
        if (!step.selector) {
          await page.keyboard.type(this.substitute('{{totp}}'));
          return undefined;
        }
        break;
      }
      default:
        break;
    }
    if (!isElementStep(step)) return undefined;
    // Wren's own matcher first: the element by the rules that wrote its selector, acted on by the
    // agent's executor (no Playwright injected script in the page); Playwright's engines for the
    // syntax only they read, and for one last look before healing.
    // When the next step waits for its own page state (its element, or a URL), this action waits
    // only for a navigation it started; the agent's quiet-page wait is the fallback: for the last
    // step, before a step that waits for nothing, and for a retry when the quick try failed.
    const next = this.input.body.steps[index + 1];
    const nextWaits = next !== undefined && (isElementStep(next) || next.kind === 'wait_for_url');
    let found = await this.browser.locate(step.selector, STEP_SELECTOR_WAIT_MS).catch(() => null);
    if (found && 'id' in found && nextWaits) {
      const quick = await this.agentBrowser.execute(
        this.agentAction(step, String(found.id)),
        this.ctx.signal,
        // The count the lookup read is the action's before-snapshot: one round trip fewer.
        {
          settle: 'navigation',
          ...(found.mutations !== undefined ? { mutationsBefore: found.mutations } : {}),
        },
      );
      if (quick.ok) return undefined;
      found = await this.browser.locate(step.selector, STEP_SELECTOR_WAIT_MS).catch(() => null);
    }
    if (found && 'id' in found) {
      const outcome = await this.agentBrowser.execute(
        this.agentAction(step, String(found.id)),
        this.ctx.signal,
      );
      if (outcome.ok) return undefined;
      // Found but not actionable (covered, disabled, replaced): heal like a missing element.
      return this.heal(index, step);
    }
    if (found && found.count > 1) return this.heal(index, step);
    let locator: Locator | null = null;
    try {
      locator = await resolveSelector(page, step.selector, {
        timeoutMs: found ? 0 : STEP_SELECTOR_WAIT_MS,
      });
    } catch {
      locator = null;
    }
    if (locator) {
      try {
        await this.onLocator(step, locator);
        return undefined;
      } catch (err) {
        // Found but not actionable (covered, disabled, replaced): heal like a missing element.
        if (this.ctx.signal.aborted) throw err;
      }
    }
    return this.heal(index, step);
  }

  /**
   * A click the recorded run saw open a tab, or start a download: the tab the click opens becomes
   * the run's working tab (as the run's tab concern makes a tab the page opened), or the file is
   * saved into the run's downloads; either within a page wait, else the step fails.
   */
  private async withEffects<T>(step: ScriptStep, work: () => Promise<T>): Promise<T> {
    if (step.kind !== 'click' || (!step.opensTab && !step.download)) return work();
    const opened = step.opensTab
      ? this.browser.context.waitForEvent('page', { timeout: PAGE_WAIT_MS })
      : null;
    const cancel = new AbortController();
    const saved = step.download
      ? nextDownload(
          this.browser,
          DOWNLOAD_WAIT_MS,
          AbortSignal.any([this.ctx.signal, cancel.signal]),
        )
      : null;
    opened?.catch(() => {});
    saved?.catch(() => {});
    let result: T;
    try {
      result = await work();
    } catch (err) {
      cancel.abort();
      throw err;
    }
    if (opened) {
      const tab = await opened.catch(() => {
        throw new StepFailure(`the click opened no tab within ${PAGE_WAIT_MS / 1000} s`);
      });
      this.browser.setActivePage(tab);
      await tab.waitForLoadState('domcontentloaded', { timeout: PAGE_WAIT_MS }).catch(() => {});
    }
    if (saved) await saved;
    return result;
  }

  /** An action with no element of the script's own (tabs, drags): its failure fails the step. */
  private async execute(action: Action): Promise<void> {
    const outcome = await this.agentBrowser.execute(action, this.ctx.signal);
    if (!outcome.ok)
      throw new StepFailure(outcome.message ?? outcome.errorKind ?? 'the action failed');
  }

  /** Both ends of a drag by Wren's matcher; a drag does not heal (two elements to repair). */
  private async drag(step: Extract<ScriptStep, { kind: 'drag' }>): Promise<undefined> {
    const [from, to] = await Promise.all([
      this.browser.locate(step.selector, STEP_SELECTOR_WAIT_MS).catch(() => null),
      this.browser.locate(step.target, STEP_SELECTOR_WAIT_MS).catch(() => null),
    ]);
    if (!from || !('id' in from))
      throw new StepFailure(`its selector ${step.selector} finds no single element to drag`);
    if (!to || !('id' in to))
      throw new StepFailure(`its selector ${step.target} finds no single element to drop onto`);
    await this.execute({ type: 'drag_and_drop', from: from.id, to: to.id });
    return undefined;
  }

  /** Index of the open tab with the step's URL pattern (the title breaks ties, then the newest). */
  private async tabFor(step: Extract<ScriptStep, { kind: 'switch_tab' }>): Promise<number> {
    const until = Date.now() + STEP_SELECTOR_WAIT_MS;
    for (;;) {
      const pages = this.browser.allPages();
      const matching = pages
        .map((p, i) => ({ p, i }))
        .filter(({ p }) => urlPattern(p.url()) === step.urlPattern);
      if (matching.length > 0) {
        if (matching.length > 1 && step.title) {
          const titles = await Promise.all(matching.map(({ p }) => p.title().catch(() => '')));
          const byTitle = matching.filter((_, k) => titles[k] === step.title);
          if (byTitle.length > 0) return byTitle[byTitle.length - 1]!.i;
        }
        return matching[matching.length - 1]!.i;
      }
      // A tab a click opened may still be loading its first URL.
      if (Date.now() > until) throw new StepFailure(`no open tab is at ${step.urlPattern}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  private async onLocator(step: ElementStep, el: Locator): Promise<void> {
    const timeout = 5_000;
    switch (step.kind) {
      case 'click':
        if (step.double) await el.dblclick({ timeout });
        else
          await el.click({
            timeout,
            ...(step.button ? { button: step.button } : {}),
            // When the element is visibly there, enabled and topmost at its centre, Playwright's
            // actionability wait (two stable animation frames) is skipped, as the SDK's cache does.
            force: await readyToClick(el),
          });
        return;
      case 'fill': {
        const text = this.value(step.value);
        if (step.typed) {
          await el.fill('', { timeout });
          await el.pressSequentially(text, { timeout });
        } else await el.fill(text, { timeout });
        if (step.submit) await el.press('Enter', { timeout });
        return;
      }
      case 'select':
        await el.selectOption(
          step.labels.map((l) => this.value(l)),
          { timeout },
        );
        return;
      case 'check':
        await el.setChecked(step.checked, { timeout });
        return;
      case 'hover':
        await el.hover({ timeout });
        return;
      case 'press':
        await el.press(step.keys, { timeout });
        return;
      case 'enter_code':
        await el.pressSequentially(this.substitute('{{totp}}'), { timeout });
        return;
      case 'upload':
        // Files (URLs fetched into the run folder) go in through the executor, by element id.
        throw new Error('an upload needs the element as Wren observes it');
    }
  }

  /** The step as the browser's action record on the element healing picked. */
  private agentAction(step: ElementStep, element: string): Action {
    const id = Number(element);
    switch (step.kind) {
      case 'click':
        if (step.double) return { type: 'double_click', id };
        return { type: 'click', id, ...(step.button ? { button: step.button } : {}) };
      case 'fill':
        // The executor substitutes placeholders itself: hand it the unsubstituted value.
        return {
          type: 'input_text',
          id,
          text: resolveValue(step.value, this.input.params, this.input.body.parameters),
          ...(step.submit ? { submit: true } : {}),
          ...(step.typed ? { mode: 'type' as const } : {}),
        };
      case 'select': {
        const labels = step.labels.map((l) =>
          resolveValue(l, this.input.params, this.input.body.parameters),
        );
        return labels.length === 1
          ? { type: 'select_option', id, label: labels[0]! }
          : { type: 'select_option', id, labels };
      }
      case 'check':
        return { type: 'set_checked', id, checked: step.checked };
      case 'hover':
        return { type: 'hover', id };
      case 'press':
        return { type: 'keypress', keys: step.keys, id };
      case 'enter_code':
        return { type: 'enter_code', id, text: '{{totp}}' };
      case 'upload':
        return {
          type: 'upload_file',
          id,
          files: step.files.map((f) =>
            resolveValue(f, this.input.params, this.input.body.parameters),
          ),
        };
    }
  }

  /** The agent does this step only: one call picks the element for the step's intention. */
  private async heal(index: number, step: ElementStep): Promise<string> {
    const page = await this.agentBrowser.observe({ screenshot: false });
    const reply = await this.callModel({
      // A computer-use engine's actor model may speak only its vendor's computer tool: its
      // scripts heal with the JSON-speaking model CUA runs already extract with.
      role: (CUA_ENGINE_NAMES as readonly string[]).includes(this.input.body.engine)
        ? 'extractor'
        : 'actor',
      // The step's intention and selector were written from page text when it was recorded,
      // and the URL is the page's: all fenced as untrusted, with the rule.
      system: `${HEAL_SYSTEM}\n${this.fence.rule()}`,
      content: [
        {
          type: 'text',
          text: [
            `# The task of the whole script\n${this.fence.wrap('task', this.ctx.task.prompt)}`,
            `\n# This step\n${this.fence.wrap('recorded step', step.intention)}`,
            `\n# Selector that no longer works\n${this.fence.wrap('recorded selector', step.selector)}`,
            `\n# The page now\n${this.fence.wrap('current page', `URL: ${page.url}\n${page.text}`)}`,
          ].join('\n'),
        },
      ],
      schema: HEAL_SCHEMA,
      schemaName: 'heal_step',
    });
    const answer = reply.json as { element_id?: unknown; reason?: unknown };
    const id =
      answer.element_id === null || answer.element_id === undefined
        ? null
        : String(answer.element_id);
    const why = typeof answer.reason === 'string' ? answer.reason : '';
    if (id === null || !page.elementIds.has(id))
      throw new StepFailure(
        `its selector ${step.selector} finds no element and the agent found none for "${step.intention}"${why ? ` (${why})` : ''}`,
      );
    const built = await this.browser.selectorFor(Number(id)).catch(() => null);
    const outcome = await this.agentBrowser.execute(this.agentAction(step, id), this.ctx.signal);
    if (!outcome.ok)
      throw new StepFailure(
        `healing picked element [${id}] but the action failed: ${outcome.message ?? outcome.errorKind ?? 'error'}`,
      );
    if (built) this.healed.set(index, { ...step, selector: built.selector });
    return `healed: ${built?.selector ?? `[${id}]`} instead of ${step.selector}`;
  }
}

/** Replays `input` as the run `ctx` describes (browser, secrets, artifacts). */
export function replayScript(
  services: EngineServices,
  ctx: EngineContext,
  input: ReplayInput,
): Promise<ReplayResult> {
  return new ScriptReplay(services, ctx, input).run();
}

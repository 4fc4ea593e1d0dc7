/**
 * compileScript: a recorded agent run (its trajectory) as a script. Pure: the engines capture the
 * trajectory and the extraction rules on the live page; this decides steps, parameters, waits and
 * the signature.
 */
import { occursIn, promptTemplate, schemaHash, urlPattern } from './signature.js';
import type {
  ExtractionRule,
  ScriptBody,
  ScriptParameter,
  ScriptSignatureParts,
  ScriptStep,
  ScriptValue,
  TrajectoryEntry,
} from './types.js';

export interface CompileInput {
  engine: string;
  prompt: string;
  startUrl: string | null;
  schema: unknown;
  /** The run's output (the constant output when there is no schema). */
  output: unknown;
  trajectory: readonly TrajectoryEntry[];
  /** URL of the page the run completed on. */
  finalUrl: string;
  /** Rules reading the output off the final page, when every leaf was found there. */
  extraction: ExtractionRule[] | null;
  /** Why there are no rules (written into the script: its output stays with the extractor). */
  extractionNote?: string;
  /** The run's credential username (typed in clear; a parameter bound to the credential). */
  credentialUsername?: string | null;
}

export type CompileResult =
  | { ok: true; body: ScriptBody; signature: ScriptSignatureParts }
  | { ok: false; reason: string };

const SECRET = /^\{\{(totp|secret:([\w.-]+))\}\}$/;

/** `Full name` → `full_name`. */
export function parameterName(label: string): string {
  const base = label
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 30)
    .replace(/_+$/, '');
  return /^[a-z]/.test(base) ? base : `value${base ? `_${base}` : ''}`;
}

const describe = (e: TrajectoryEntry['element']) =>
  e ? `the ${e.role || 'element'} ${JSON.stringify(e.name)}` : 'the element';

/** Going back to a tab, found again by its URL pattern (and shown by its title). */
const switchTab = (urlPattern: string, title: string | undefined): ScriptStep => ({
  kind: 'switch_tab',
  urlPattern,
  title: title ?? '',
  intention: `switch to the tab ${title ? `${JSON.stringify(title)} ` : ''}at ${urlPattern}`,
});

class Parameters {
  readonly list: ScriptParameter[] = [];
  private readonly byValue = new Map<string, string>();

  constructor(
    private readonly prompt: string,
    private readonly username: string | null,
  ) {}

  private add(name: string, p: Omit<ScriptParameter, 'name'>): string {
    let unique = name;
    for (let i = 2; this.list.some((q) => q.name === unique); i++) unique = `${name}_${i}`;
    this.list.push({ name: unique, ...p });
    return unique;
  }

  /** A typed value as the script writes it: a named parameter, or the literal. */
  value(text: string, label: string): ScriptValue {
    const known = this.byValue.get(text);
    if (known) return { param: known };
    const secret = SECRET.exec(text);
    let name: string | null = null;
    if (secret) {
      name = this.add(secret[2] ? parameterName(secret[2]) : 'totp', {
        example: null,
        secret: true,
        placeholder: text,
      });
    } else if (this.username && text === this.username) {
      name = this.add('username', { example: null, secret: false, source: 'credential' });
    } else if (occursIn(this.prompt, text)) {
      name = this.add(parameterName(label), { example: text, secret: false, source: 'prompt' });
    }
    if (!name) return { literal: text };
    this.byValue.set(text, name);
    return { param: name };
  }

  /** An uploaded file: always a named parameter (from the prompt, else the recorded default). */
  file(file: string): ScriptValue {
    const v = this.value(file, 'file');
    if ('param' in v) return v;
    const name = this.add('file', { example: file, secret: false, source: 'default' });
    this.byValue.set(file, name);
    return { param: name };
  }
}

export function compileScript(input: CompileInput): CompileResult {
  const params = new Parameters(input.prompt, input.credentialUsername ?? null);
  const steps: ScriptStep[] = [];
  let page = urlPattern(input.startUrl);
  for (const [i, e] of input.trajectory.entries()) {
    if (!e.ok) continue; // failed attempts are not part of the path
    const needsSelector = ![
      'goto',
      'keypress',
      'enter_code',
      'new_tab',
      'switch_tab',
      'close_tab',
      'back',
      'reload',
      'download',
    ].includes(e.type);
    if (e.type === 'other')
      return {
        ok: false,
        reason: `action ${i + 1} has no script form${e.text ? ` (${e.text})` : ''}`,
      };
    // A click that opened the tab the run went on in: the replay follows the tab its click opens.
    const opensTab = e.type === 'click' && e.tabOpened === true;
    if (needsSelector && !e.selector)
      return { ok: false, reason: `action ${i + 1} (${e.type}) has no stable selector` };
    const selector = e.selector ?? '';
    const what = describe(e.element);
    const label = e.element?.name || e.element?.role || 'value';
    switch (e.type) {
      case 'click':
        steps.push({
          kind: 'click',
          selector,
          intention: `click ${what}`,
          ...(e.button === 'right' ? { button: 'right' as const } : {}),
          ...(e.double ? { double: true } : {}),
          ...(opensTab ? { opensTab: true } : {}),
          ...(e.download ? { download: true } : {}),
        });
        break;
      case 'input_text': {
        const value = params.value(e.text ?? '', label);
        steps.push({
          kind: 'fill',
          selector,
          intention: `type ${'param' in value ? `the ${value.param}` : JSON.stringify(value.literal)} into ${what}`,
          value,
          ...(e.submit ? { submit: true } : {}),
          ...(e.typed ? { typed: true } : {}),
        });
        break;
      }
      case 'select_option': {
        const labels = (e.labels ?? []).map((l) => params.value(l, label));
        steps.push({
          kind: 'select',
          selector,
          intention: `choose ${labels.map((l) => ('param' in l ? `the ${l.param}` : JSON.stringify(l.literal))).join(', ')} in ${what}`,
          labels,
        });
        break;
      }
      case 'set_checked':
        steps.push({
          kind: 'check',
          selector,
          intention: `${e.checked ? 'check' : 'uncheck'} ${what}`,
          checked: e.checked ?? true,
        });
        break;
      case 'hover':
        steps.push({ kind: 'hover', selector, intention: `hover over ${what}` });
        break;
      case 'keypress':
        steps.push({
          kind: 'press',
          selector: e.selector,
          intention: `press ${e.keys ?? 'Enter'}${e.selector ? ` in ${what}` : ''}`,
          keys: e.keys ?? 'Enter',
        });
        break;
      case 'enter_code':
        params.value('{{totp}}', 'totp');
        steps.push({
          kind: 'enter_code',
          selector: e.selector,
          intention: `enter the one-time code${e.selector ? ` into ${what}` : ''}`,
        });
        break;
      case 'upload': {
        const files = (e.files ?? []).map((f) => params.file(f));
        steps.push({
          kind: 'upload',
          selector,
          intention: `upload ${files.map((f) => ('param' in f ? `the ${f.param}` : f.literal)).join(', ')} into ${what}`,
          files,
        });
        break;
      }
      case 'drag':
        if (!e.target)
          return {
            ok: false,
            reason: `action ${i + 1} (drag) has no stable selector for its drop target`,
          };
        steps.push({
          kind: 'drag',
          selector,
          target: e.target,
          intention: `drag ${what} onto ${describe(e.targetElement ?? null)}`,
        });
        break;
      case 'new_tab':
        steps.push({
          kind: 'new_tab',
          url: e.url ? { literal: e.url } : null,
          intention: `open a new tab${e.url ? ` at ${e.url}` : ''}`,
        });
        page = urlPattern(e.url ?? null);
        continue;
      case 'switch_tab': {
        const tab = urlPattern(e.urlAfter);
        if (!tab)
          return {
            ok: false,
            reason: `action ${i + 1} (switch_tab) switched to a tab with no URL`,
          };
        steps.push(switchTab(tab, e.title));
        page = tab;
        continue;
      }
      case 'close_tab':
        steps.push({ kind: 'close_tab', intention: 'close the current tab' });
        page = urlPattern(e.urlAfter);
        continue;
      case 'back':
        steps.push({ kind: 'back', intention: 'go back to the previous page' });
        break;
      case 'reload':
        steps.push({ kind: 'reload', intention: 'reload the page' });
        break;
      case 'download': {
        if (!e.url) return { ok: false, reason: `action ${i + 1} (download) has no URL` };
        // From the prompt: a hole of the template, so another URL there downloads that file.
        const url = params.value(e.url, 'download url');
        steps.push({
          kind: 'download',
          url,
          intention: `download ${'param' in url ? `the file at the ${url.param}` : url.literal}`,
        });
        break;
      }
      case 'goto':
        steps.push({
          kind: 'goto',
          url: { literal: e.url ?? '' },
          intention: `open ${e.url ?? ''}`,
        });
        break;
    }
    const after = urlPattern(e.urlAfter);
    if (after && opensTab) {
      // The replay is in the new tab once the click returns: wait for its page.
      steps.push({ kind: 'wait_for_url', urlPattern: after, intention: `reach ${after}` });
      page = after;
    } else if (after && e.tabChanged) {
      // The action opened a tab and the run went on in it: find that tab again by its URL.
      steps.push(switchTab(after, e.title));
      page = after;
    } else if (after && after !== page) {
      steps.push({ kind: 'wait_for_url', urlPattern: after, intention: `reach ${after}` });
      page = after;
    }
  }
  if (steps.length === 0) return { ok: false, reason: 'the run did no action a script can repeat' };
  const schema = input.schema ?? null;
  const output: ScriptBody['output'] =
    schema === null
      ? { mode: 'constant', value: input.output ?? null }
      : input.extraction
        ? { mode: 'rules', rules: input.extraction }
        : { mode: 'model', ...(input.extractionNote ? { reason: input.extractionNote } : {}) };
  const template = promptTemplate(
    input.prompt,
    params.list
      .filter((p) => p.source === 'prompt' && p.example !== null)
      .map((p) => ({ name: p.name, value: p.example as string })),
  );
  return {
    ok: true,
    body: {
      version: 1,
      engine: input.engine,
      startUrl: input.startUrl,
      steps,
      parameters: params.list,
      output,
      final: { urlPattern: urlPattern(input.finalUrl) },
    },
    signature: {
      engine: input.engine,
      promptTemplate: template,
      urlPattern: urlPattern(input.startUrl),
      schemaHash: schemaHash(schema),
    },
  };
}

/** The text a step types or chooses at replay: a parameter's value, or the literal. */
export function resolveValue(
  value: ScriptValue,
  params: Record<string, string>,
  parameters: readonly ScriptParameter[],
): string {
  if ('literal' in value) return value.literal;
  const p = parameters.find((q) => q.name === value.param);
  if (p?.secret && p.placeholder) return p.placeholder;
  const v = params[value.param];
  if (v === undefined) throw new Error(`parameter ${value.param} has no value`);
  return v;
}

/** `body` with the steps a replay healed replaced (by index), and its output rules if healed. */
export function withHealedSteps(
  body: ScriptBody,
  healed: Map<number, ScriptStep>,
  output?: ScriptBody['output'],
): ScriptBody {
  return {
    ...body,
    steps: body.steps.map((s, i) => healed.get(i) ?? s),
    ...(output ? { output } : {}),
  };
}

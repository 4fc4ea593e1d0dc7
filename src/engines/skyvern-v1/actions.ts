import { z } from 'zod';
import {
  type Action,
  actionDescription,
  actionLogLine,
  actionSchema,
  type ModelActionPick,
  modelActionBranches,
} from '../../browser/index.js';
import { REPORTED_ERROR_CODE_SCHEMA, type ReportedErrorCode } from '../shared/error-codes.js';

/**
 * The skyvern-1.0 engine's action vocabulary: a subset of the browser's action records
 * (src/browser/act, one record per action: name, zod schema, executor, log line) with the fields
 * this engine shows its model, plus three engine decisions (a 2FA code, complete, terminate). The
 * model's JSON Schema is generated from those zod schemas; the reply parser turns what the model
 * wrote into browser actions, checking element ids against the observation it saw.
 */

/** The browser actions this engine offers and the fields the model fills (docs/engines.md). */
export const V1_ACTIONS = {
  click: ['id'],
  input_text: ['id', 'text', 'submit'],
  select_option: ['id', 'labels'],
  set_checked: ['id', 'checked'],
  upload_file: ['id', 'files'],
  download: ['id', 'url'],
  hover: ['id'],
  scroll: ['id', 'direction'],
  keypress: ['keys'],
  drag_and_drop: ['from', 'to'],
  goto: ['url'],
  back: [],
  reload: [],
  switch_tab: ['tab'],
  close_tab: ['tab'],
  wait: ['ms'],
} as const satisfies ModelActionPick;

const elementId = z.number().int().positive().describe('element id from the page tree, e.g. 12');

/** Decisions of the engine itself, offered next to the browser actions. */
const ENGINE_DECISIONS = {
  enter_verification_code: {
    use: 'the page asks for a one-time/2FA code: Wren gets the code and types it here (first box if split)',
    schema: z.strictObject({ type: z.literal('enter_verification_code'), id: elementId }),
  },
  complete: {
    use: 'the whole goal is achieved; answer = information the goal asked for, else null',
    schema: z.strictObject({ type: z.literal('complete'), answer: z.string().nullable() }),
  },
  terminate: {
    use: 'the goal cannot be achieved on this site (quote the page’s own error message)',
    schema: z.strictObject({
      type: z.literal('terminate'),
      reason: z.string().describe('Why the goal is impossible, quoting the page.'),
    }),
  },
} as const;

export type PlannedAction =
  | Action
  | { type: 'enter_verification_code'; id: number }
  | { type: 'complete'; answer: string | null }
  | { type: 'terminate'; reason: string };

type JsonSchema = Record<string, unknown>;

/** `- name: when to use it` lines for the prompt, in the schema's order. */
export function actionPromptLines(): string {
  const browser = Object.keys(V1_ACTIONS).map(
    (name) => `- ${name}: ${actionDescription(name as keyof typeof V1_ACTIONS)}`,
  );
  const engine = Object.entries(ENGINE_DECISIONS).map(([name, d]) => `- ${name}: ${d.use}`);
  // The 2FA code goes with the page actions; complete and terminate end the list.
  return [...browser, engine[0], engine[1], engine[2]].join('\n');
}

function engineBranch(schema: z.ZodObject): JsonSchema {
  const { $schema: _, ...json } = z.toJSONSchema(schema) as JsonSchema;
  return json;
}

export interface ReplySchemaOptions {
  /** Adds `error_codes` when the caller gave an error_code_mapping. */
  errorCodes: boolean;
}

/** JSON Schema of the actor's reply. Kept flat and small: output tokens cost the most. */
export function actorReplySchema(options: ReplySchemaOptions): JsonSchema {
  const str = (description: string): JsonSchema => ({ type: 'string', description });
  const properties: Record<string, JsonSchema> = {
    page_state: str('One or two sentences: what the page shows that matters for the goal.'),
    progress: str('What is already done, and what remains.'),
    actions: {
      type: 'array',
      description: 'Actions to run in order. Several only when all target the current page.',
      items: {
        anyOf: [
          ...modelActionBranches(V1_ACTIONS),
          ...Object.values(ENGINE_DECISIONS).map((d) => engineBranch(d.schema)),
        ],
      },
    },
  };
  if (options.errorCodes) {
    properties.error_codes = {
      type: 'array',
      description: 'User-defined error codes whose condition is met now; usually empty.',
      items: REPORTED_ERROR_CODE_SCHEMA,
    };
  }
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties),
    properties,
  };
}

export interface ParsedReply {
  pageState: string;
  progress: string;
  actions: PlannedAction[];
  errorCodes: ReportedErrorCode[];
  /** Problems to feed back to the model; actions after the first bad one are dropped. */
  problems: string[];
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** An element reference as models write it: 12, "12", "[12]". */
function elementRef(v: unknown): number | undefined {
  const raw = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : undefined;
  const trimmed = raw?.replace(/^\[|\]$/g, '').trim();
  return trimmed && /^\d+$/.test(trimmed) ? Number(trimmed) : undefined;
}

type OptionRef = { label?: string; value?: string; index?: number };

/**
 * The options a select_option names: `labels` (the schema), `label`, or Skyvern's `option`
 * ({label, value, index}, also a list of them) and `options`.
 */
function optionRefs(raw: Record<string, unknown>): OptionRef[] {
  const one = (v: unknown): OptionRef | null => {
    if (typeof v === 'string') return v ? { label: v } : null;
    if (!isRecord(v)) return null;
    if (typeof v.label === 'string' && v.label) return { label: v.label };
    if (typeof v.value === 'string' && v.value) return { value: v.value };
    return typeof v.index === 'number' && Number.isInteger(v.index) && v.index >= 0
      ? { index: v.index }
      : null;
  };
  const list = (v: unknown): OptionRef[] =>
    (Array.isArray(v) ? v : [v]).map(one).filter((r): r is OptionRef => r !== null);
  for (const key of ['labels', 'options', 'option', 'label']) {
    if (raw[key] === undefined || raw[key] === null) continue;
    const refs = list(raw[key]);
    if (refs.length > 0) return refs;
  }
  return [];
}

/** One option by label, value or index; several of a multi-select by value or by label. */
function optionFields(options: OptionRef[]): Record<string, unknown> {
  const [one, ...more] = options;
  if (one && more.length === 0) return { ...one };
  return options.every((o) => o.label === undefined && o.value !== undefined)
    ? { values: options.map((o) => o.value) }
    : { labels: options.map((o) => o.label ?? o.value ?? String(o.index)) };
}

/** Names models use for the same action (and earlier Wren field names). */
const TYPE_ALIASES: Record<string, string> = {
  goto_url: 'goto',
  go_back: 'back',
  press_key: 'keypress',
  drag: 'drag_and_drop',
};

/**
 * What the model wrote, in the browser record's field names: tolerates common variations
 * (upper-case types, `element`/`element_id` for `id`, string ids, `to_element`, `file_url`,
 * `seconds`, Skyvern's option shapes); null fields are left out.
 */
function normalize(type: string, raw: Record<string, unknown>): Record<string, unknown> | string {
  const out: Record<string, unknown> = { type };
  const ref = raw.id ?? raw.element ?? raw.element_id;
  switch (type) {
    case 'scroll': {
      const direction = text(raw.direction) ?? 'down';
      if (!['up', 'down', 'left', 'right'].includes(direction))
        return `scroll: direction "${direction}" is not up, down, left or right`;
      out.direction = direction;
      if (ref !== null && ref !== undefined) out.id = elementRef(ref) ?? ref;
      return out;
    }
    case 'drag_and_drop':
      out.from = elementRef(raw.from ?? ref) ?? raw.from ?? ref;
      out.to = elementRef(raw.to ?? raw.to_element) ?? raw.to ?? raw.to_element;
      return out;
    case 'select_option': {
      const options = optionRefs(raw);
      if (options.length === 0) return 'select_option: "labels" is missing';
      return { ...out, id: elementRef(ref) ?? ref, ...optionFields(options) };
    }
    case 'upload_file': {
      const files = Array.isArray(raw.files) ? raw.files : raw.file_url ? [raw.file_url] : [];
      if (files.length === 0) return 'upload_file: "files" is missing';
      return { ...out, id: elementRef(ref) ?? ref, files };
    }
    case 'keypress': {
      const keys = text(raw.keys ?? raw.key);
      if (!keys) return 'keypress: "keys" is missing';
      return { ...out, keys };
    }
    case 'switch_tab':
    case 'close_tab':
      return { ...out, tab: raw.tab ?? raw.tab_index };
    case 'wait': {
      const ms =
        typeof raw.ms === 'number'
          ? raw.ms
          : typeof raw.seconds === 'number'
            ? raw.seconds * 1000
            : 2000;
      return { ...out, ms: Math.round(Math.min(Math.max(ms, 500), 10_000)) };
    }
    case 'input_text':
      if (text(raw.text) === undefined) return 'input_text: "text" is missing';
      return { ...out, id: elementRef(ref) ?? ref, text: raw.text, submit: raw.submit === true };
    case 'set_checked':
      if (typeof raw.checked !== 'boolean') return 'set_checked: "checked" must be true or false';
      return { ...out, id: elementRef(ref) ?? ref, checked: raw.checked };
    case 'goto': {
      const url = text(raw.url);
      if (!url) return 'goto: "url" is missing';
      return { ...out, url };
    }
    case 'download': {
      // A link or button on the page, or a URL (e.g. one the prompt gives).
      const url = text(raw.url);
      if ((ref === null || ref === undefined) && !url)
        return 'download: give "id" (a link or button) or "url"';
      if (ref !== null && ref !== undefined) return { ...out, id: elementRef(ref) ?? ref };
      return { ...out, url };
    }
    case 'back':
    case 'reload':
      return out;
    default:
      if (ref !== null && ref !== undefined) out.id = elementRef(ref) ?? ref;
      return out;
  }
}

/** Element ids an action refers to, by field. */
const ELEMENT_FIELDS = ['id', 'from', 'to'] as const;

function parseOne(
  raw: Record<string, unknown>,
  knownIds: ReadonlySet<string>,
): PlannedAction | string {
  const said = text(raw.type ?? raw.action_type)
    ?.toLowerCase()
    .replace(/[\s-]/g, '_');
  const type = said ? (TYPE_ALIASES[said] ?? said) : '';
  if (type === 'complete') return { type, answer: text(raw.answer) ?? null };
  if (type === 'terminate')
    return { type, reason: text(raw.reason) ?? 'The model gave no reason.' };
  const offered = type in V1_ACTIONS || type === 'enter_verification_code';
  if (!offered) return `unknown action type "${String(raw.type ?? raw.action_type)}"`;
  const fields = normalize(type, raw);
  if (typeof fields === 'string') return fields;
  const needsElement = (V1_ACTIONS as Record<string, readonly string[]>)[type]?.includes('id');
  if (
    (needsElement || type === 'enter_verification_code') &&
    !['scroll', 'download'].includes(type)
  ) {
    if (fields.id === undefined) return `${type}: "element" is missing`;
  }
  for (const key of ELEMENT_FIELDS) {
    const id = fields[key];
    if (id === undefined) continue;
    if (typeof id !== 'number' || !knownIds.has(String(id)))
      return `${type}: element "${String(id)}" is not on the current page`;
  }
  if (type === 'enter_verification_code') return { type, id: fields.id as number };
  const parsed = actionSchema.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `${type}: ${issue?.path.join('.') || 'action'} ${issue?.message ?? 'is invalid'}`;
  }
  return parsed.data;
}

export function parseActorReply(json: unknown, knownIds: ReadonlySet<string>): ParsedReply {
  const reply: ParsedReply = {
    pageState: '',
    progress: '',
    actions: [],
    errorCodes: [],
    problems: [],
  };
  if (!isRecord(json)) {
    reply.problems.push('The reply must be a JSON object with "actions".');
    return reply;
  }
  reply.pageState = text(json.page_state) ?? '';
  reply.progress = text(json.progress) ?? '';
  const rawActions = Array.isArray(json.actions) ? json.actions : [];
  if (rawActions.length === 0) reply.problems.push('"actions" is empty: give at least one action.');
  for (const raw of rawActions) {
    const parsed = isRecord(raw) ? parseOne(raw, knownIds) : 'an action must be an object';
    if (typeof parsed === 'string') {
      reply.problems.push(parsed);
      break;
    }
    reply.actions.push(parsed);
    if (parsed.type === 'complete' || parsed.type === 'terminate') break;
  }
  if (Array.isArray(json.error_codes)) {
    for (const e of json.error_codes) {
      if (isRecord(e) && typeof e.code === 'string') {
        reply.errorCodes.push({
          code: e.code,
          reasoning: text(e.reasoning) ?? '',
          confidence: typeof e.confidence === 'number' ? e.confidence : 1,
        });
      }
    }
  }
  return reply;
}

/** One-line description of an action for history, logs and loop detection (text is masked upstream). */
export function describeAction(action: PlannedAction): string {
  switch (action.type) {
    case 'enter_verification_code':
      return `enter_verification_code [${action.id}]`;
    case 'complete':
      return `complete${action.answer ? ` ${JSON.stringify(action.answer.slice(0, 200))}` : ''}`;
    case 'terminate':
      return `terminate: ${action.reason.slice(0, 200)}`;
    default:
      return actionLogLine(action);
  }
}

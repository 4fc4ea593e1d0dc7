import type { AgentAction } from '../ports.js';

/**
 * The model-facing action vocabulary of the skyvern-1.0 engine: one JSON Schema branch per action
 * kind (strict-mode friendly: every branch lists all its fields as required, no optional keys),
 * and a parser that turns the model's reply into typed actions, checking element ids against the
 * observation the model saw.
 */

export type PlannedAction =
  | AgentAction
  | { type: 'enter_verification_code'; element: string }
  | { type: 'complete'; answer: string | null }
  | { type: 'terminate'; reason: string };

type JsonSchema = Record<string, unknown>;

const str = (description: string): JsonSchema => ({ type: 'string', description });
const element = str('Element id from the page tree, e.g. "12".');

interface ActionSpec {
  type: PlannedAction['type'];
  /** One line for the prompt: when to use it. */
  use: string;
  fields: Record<string, JsonSchema>;
}

export const ACTION_SPECS: readonly ActionSpec[] = [
  { type: 'click', use: 'click an element (button, link, option, tab …)', fields: { element } },
  {
    type: 'input_text',
    use: 'replace the value of a text field; submit=true presses Enter afterwards',
    fields: { element, text: str('The full value to enter.'), submit: { type: 'boolean' } },
  },
  {
    type: 'select_option',
    use: 'choose the options of a select, listbox or combobox by their visible labels (several only in a multi-select: exactly those end up chosen)',
    fields: {
      element,
      labels: {
        type: 'array',
        items: { type: 'string' },
        description: 'Visible labels of the options to choose: one, or several for a multi-select.',
      },
    },
  },
  {
    type: 'set_checked',
    use: 'set a checkbox, radio or switch to a state',
    fields: { element, checked: { type: 'boolean' } },
  },
  {
    type: 'upload_file',
    use: 'attach a file given in the task to a file input',
    fields: { element, file_url: str('A file URL that appears in the task.') },
  },
  { type: 'download', use: 'click an element that downloads a file', fields: { element } },
  {
    type: 'enter_verification_code',
    use: 'the page asks for a one-time/2FA code: Wren gets the code and types it here (first box if split)',
    fields: { element },
  },
  { type: 'hover', use: 'move the mouse over an element (reveals menus)', fields: { element } },
  {
    type: 'scroll',
    use: 'scroll the page (element null) or a scrollable element to reveal more',
    fields: {
      element: { type: ['string', 'null'], description: 'Scrollable element id, or null.' },
      direction: { type: 'string', enum: ['up', 'down', 'left', 'right'] },
    },
  },
  {
    type: 'keypress',
    use: 'press keys, e.g. "Enter", "Escape", "Control+A"',
    fields: { keys: str('Playwright key names joined with +.') },
  },
  {
    type: 'drag',
    use: 'drag an element onto another',
    fields: { element, to_element: str('Id of the drop target.') },
  },
  { type: 'goto', use: 'open a URL in the current tab', fields: { url: str('Absolute URL.') } },
  { type: 'back', use: 'go back in history', fields: {} },
  { type: 'reload', use: 'reload the page', fields: {} },
  {
    type: 'switch_tab',
    use: 'make another open tab the current one',
    fields: { tab: { type: 'integer', description: 'Tab index from the tab list.' } },
  },
  {
    type: 'close_tab',
    use: 'close a tab',
    fields: { tab: { type: 'integer', description: 'Tab index from the tab list.' } },
  },
  {
    type: 'wait',
    use: 'wait for the page to finish loading or updating (1-10 s)',
    fields: { seconds: { type: 'number' } },
  },
  {
    type: 'complete',
    use: 'the whole goal is achieved; answer = information the goal asked for, else null',
    fields: { answer: { type: ['string', 'null'] } },
  },
  {
    type: 'terminate',
    use: 'the goal cannot be achieved on this site (quote the page’s own error message)',
    fields: { reason: str('Why the goal is impossible, quoting the page.') },
  },
];

function branch(spec: ActionSpec): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['type', ...Object.keys(spec.fields)],
    properties: { type: { type: 'string', const: spec.type }, ...spec.fields },
  };
}

export interface ReplySchemaOptions {
  /** Adds `error_codes` when the caller gave an error_code_mapping. */
  errorCodes: boolean;
}

/** JSON Schema of the actor's reply. Kept flat and small: output tokens cost the most. */
export function actorReplySchema(options: ReplySchemaOptions): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    page_state: str('One or two sentences: what the page shows that matters for the goal.'),
    progress: str('What is already done, and what remains.'),
    actions: {
      type: 'array',
      description: 'Actions to run in order. Several only when all target the current page.',
      items: { anyOf: ACTION_SPECS.map(branch) },
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

import { REPORTED_ERROR_CODE_SCHEMA, type ReportedErrorCode } from '../shared/error-codes.js';

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

/** Tolerates common model variations (upper-case types, `id` for `element`, numeric ids). */
function elementRef(raw: Record<string, unknown>, key: string): string | undefined {
  const v = raw[key] ?? (key === 'element' ? (raw.element_id ?? raw.id) : undefined);
  if (typeof v === 'number') return String(v);
  if (typeof v !== 'string') return undefined;
  return v.replace(/^\[|\]$/g, '').trim() || undefined;
}

type OptionRef = { label?: string; value?: string; index?: number };

/**
 * The options a select_option names: `labels` (Wren's schema), `label`, or Skyvern's `option`
 * ({label, value, index}, also a list of them) and `options`.
 */
function optionRefs(raw: Record<string, unknown>): OptionRef[] {
  const one = (v: unknown): OptionRef | null => {
    if (typeof v === 'string') return v ? { label: v } : null;
    if (!isRecord(v)) return null;
    const ref: OptionRef = {};
    if (typeof v.label === 'string' && v.label) ref.label = v.label;
    if (typeof v.value === 'string' && v.value) ref.value = v.value;
    if (typeof v.index === 'number' && Number.isInteger(v.index) && v.index >= 0)
      ref.index = v.index;
    // One way to name it: the label wins, as the model reads labels.
    if (ref.label !== undefined) return { label: ref.label };
    if (ref.value !== undefined) return { value: ref.value };
    return ref.index !== undefined ? ref : null;
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

function parseOne(
  raw: Record<string, unknown>,
  knownIds: ReadonlySet<string>,
): PlannedAction | string {
  const type = text(raw.type ?? raw.action_type)
    ?.toLowerCase()
    .replace(/[\s-]/g, '_');
  const needElement = (key = 'element'): string | { error: string } => {
    const id = elementRef(raw, key);
    if (!id) return { error: `${type}: "${key}" is missing` };
    if (!knownIds.has(id)) return { error: `${type}: element "${id}" is not on the current page` };
    return id;
  };
  const withElement = (make: (id: string) => PlannedAction): PlannedAction | string => {
    const id = needElement();
    return typeof id === 'string' ? make(id) : id.error;
  };
  switch (type) {
    case 'click':
      return withElement((id) => ({ type: 'click', element: id }));
    case 'input_text': {
      const value = text(raw.text);
      if (value === undefined) return 'input_text: "text" is missing';
      return withElement((id) => ({
        type: 'input_text',
        element: id,
        text: value,
        submit: raw.submit === true,
      }));
    }
    case 'select_option': {
      const options = optionRefs(raw);
      if (options.length === 0) return 'select_option: "labels" is missing';
      return withElement((id) => ({ type: 'select_option', element: id, options }));
    }
    case 'set_checked':
      if (typeof raw.checked !== 'boolean') return 'set_checked: "checked" must be true or false';
      return withElement((id) => ({
        type: 'set_checked',
        element: id,
        checked: raw.checked === true,
      }));
    case 'upload_file': {
      const fileUrl = text(raw.file_url);
      if (!fileUrl) return 'upload_file: "file_url" is missing';
      return withElement((id) => ({ type: 'upload_file', element: id, fileUrl }));
    }
    case 'download':
      return withElement((id) => ({ type: 'download', element: id }));
    case 'enter_verification_code':
      return withElement((id) => ({ type: 'enter_verification_code', element: id }));
    case 'hover':
      return withElement((id) => ({ type: 'hover', element: id }));
    case 'scroll': {
      const direction = text(raw.direction) ?? 'down';
      if (!['up', 'down', 'left', 'right'].includes(direction)) {
        return `scroll: direction "${direction}" is not up, down, left or right`;
      }
      const dir = direction as 'up' | 'down' | 'left' | 'right';
      if (raw.element === null || raw.element === undefined)
        return { type: 'scroll', direction: dir };
      return withElement((id) => ({ type: 'scroll', element: id, direction: dir }));
    }
    case 'keypress':
    case 'press_key': {
      const keys = text(raw.keys ?? raw.key);
      if (!keys) return 'keypress: "keys" is missing';
      return { type: 'keypress', keys };
    }
    case 'drag': {
      const target = needElement('to_element');
      if (typeof target !== 'string') return target.error;
      return withElement((id) => ({ type: 'drag', element: id, toElement: target }));
    }
    case 'goto':
    case 'goto_url': {
      const url = text(raw.url);
      if (!url) return 'goto: "url" is missing';
      return { type: 'goto', url };
    }
    case 'back':
    case 'go_back':
      return { type: 'back' };
    case 'reload':
      return { type: 'reload' };
    case 'switch_tab':
    case 'close_tab': {
      const tab = raw.tab ?? raw.tab_index;
      if (typeof tab !== 'number' || !Number.isInteger(tab))
        return `${type}: "tab" must be an integer`;
      return { type, index: tab };
    }
    case 'wait': {
      const seconds = typeof raw.seconds === 'number' ? raw.seconds : 2;
      return { type: 'wait', seconds: Math.min(Math.max(seconds, 0.5), 10) };
    }
    case 'complete':
      return { type: 'complete', answer: text(raw.answer) ?? null };
    case 'terminate':
      return { type: 'terminate', reason: text(raw.reason) ?? 'The model gave no reason.' };
    default:
      return `unknown action type "${String(raw.type ?? raw.action_type)}"`;
  }
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

/** One-line description of an action for history, logs and loop detection (no secrets: text is masked upstream). */
export function describeAction(action: PlannedAction): string {
  switch (action.type) {
    case 'click':
    case 'download':
    case 'hover':
    case 'enter_verification_code':
      return `${action.type} [${action.element}]`;
    case 'input_text':
      return `input_text [${action.element}] ${JSON.stringify(action.text)}${action.submit ? ' +Enter' : ''}`;
    case 'select_option':
      return `select_option [${action.element}] ${action.options
        .map((o) => JSON.stringify(o.label ?? o.value ?? o.index))
        .join(', ')}`;
    case 'set_checked':
      return `set_checked [${action.element}] ${action.checked}`;
    case 'upload_file':
      return `upload_file [${action.element}] ${action.fileUrl}`;
    case 'scroll':
      return `scroll ${action.direction}${action.element ? ` [${action.element}]` : ''}`;
    case 'keypress':
      return `keypress ${action.keys}`;
    case 'drag':
      return `drag [${action.element}] -> [${action.toElement}]`;
    case 'goto':
    case 'new_tab':
      return `${action.type} ${action.url}`;
    case 'switch_tab':
    case 'close_tab':
      return `${action.type} ${action.index}`;
    case 'wait':
      return `wait ${action.seconds}s`;
    case 'complete':
      return `complete${action.answer ? ` ${JSON.stringify(action.answer.slice(0, 200))}` : ''}`;
    case 'terminate':
      return `terminate: ${action.reason.slice(0, 200)}`;
    default:
      return action.type;
  }
}

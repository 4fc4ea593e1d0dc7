/**
 * Run with code (docs/code-mode.md): the data of a compiled script. A script is a list of steps,
 * each a stable selector **and** the intention in words (the sub-goal the agent gets when the
 * selector stops working), the values typed as named parameters, waits for the page states the
 * recorded run saw, and the rules that read the run's output off the final page.
 */

/** A value a step types or chooses: written into the script, or a named parameter. */
export type ScriptValue = { literal: string } | { param: string };

export type ScriptStep =
  | { kind: 'goto'; url: ScriptValue; intention: string }
  | {
      kind: 'click';
      selector: string;
      intention: string;
      button?: 'left' | 'right';
      double?: boolean;
      /** The click opens a tab and the run goes on in it (e.g. a target=_blank link). */
      opensTab?: boolean;
      /** The click starts a download: the step waits until the file is saved. */
      download?: boolean;
    }
  | {
      kind: 'fill';
      selector: string;
      intention: string;
      value: ScriptValue;
      /** Press Enter afterwards. */
      submit?: boolean;
      /** Press real keys instead of setting the value. */
      typed?: boolean;
    }
  | { kind: 'select'; selector: string; intention: string; labels: ScriptValue[] }
  | { kind: 'check'; selector: string; intention: string; checked: boolean }
  | { kind: 'hover'; selector: string; intention: string }
  | { kind: 'press'; selector: string | null; intention: string; keys: string }
  /** A one-time code (`{{totp}}`): resolved from the run's 2FA source when the step runs. */
  | { kind: 'enter_code'; selector: string | null; intention: string }
  /** Files (http(s) URLs or run-folder paths) put into a file input, each a named parameter. */
  | { kind: 'upload'; selector: string; intention: string; files: ScriptValue[] }
  /** Drag the element `selector` onto the element `target`. */
  | { kind: 'drag'; selector: string; target: string; intention: string }
  /** Open a new tab (at `url` when the run gave one) and work in it. */
  | { kind: 'new_tab'; url: ScriptValue | null; intention: string }
  /** Work in the open tab whose URL has this pattern (origin + path; the newest when several). */
  | { kind: 'switch_tab'; urlPattern: string; title: string; intention: string }
  /** Close the current tab. */
  | { kind: 'close_tab'; intention: string }
  /**
   * Fetch a URL with the run's cookies and save it as a download (the agent's `download` of a
   * URL): a parameter when the prompt gave the URL.
   */
  | { kind: 'download'; url: ScriptValue; intention: string }
  /** The browser's back button, and reloading the page. */
  | { kind: 'back'; intention: string }
  | { kind: 'reload'; intention: string }
  /** The page the recorded run reached after the previous step (origin + path pattern). */
  | { kind: 'wait_for_url'; urlPattern: string; intention: string };

/** A step on an element (its selector known). */
export type ElementStep = Exclude<
  ScriptStep,
  | { kind: 'goto' }
  | { kind: 'download' }
  | { kind: 'wait_for_url' }
  | { kind: 'drag' }
  | { kind: 'new_tab' }
  | { kind: 'switch_tab' }
  | { kind: 'close_tab' }
  | { kind: 'back' }
  | { kind: 'reload' }
> & {
  selector: string;
};

export interface ScriptParameter {
  name: string;
  /** The value of the run the script was compiled from; null for secrets. */
  example: string | null;
  /** A secret placeholder (`{{secret:password}}`, `{{totp}}`): never stored as a value. */
  secret: boolean;
  /** For secrets: the placeholder the run's vault substitutes as the key is pressed. */
  placeholder?: string;
  /**
   * Where a replay takes the value: the prompt's matching part, the run's credential, or (an
   * uploaded file the prompt does not name) the recorded value unless the caller overrides it.
   */
  source?: 'prompt' | 'credential' | 'default';
}

/** Where a field of a list item is read: relative to the item, from its text or an attribute. */
export interface ListField {
  /** Where the value goes in the item (`[]`: the item is the value itself). */
  key: string[];
  /** Relative to the item (`:scope` is the item itself; else the first match inside it); null for a constant. */
  selector: string | null;
  attribute: 'text' | 'href' | 'value';
  kind: 'string' | 'number';
  /** href: resolved against the page's URL (the run's output had the absolute URL). */
  absolute?: boolean;
  /** Text around the value in the element's text, removed when read. */
  before?: string;
  after?: string;
  /** Which number of the element's text (0-based) holds a numeric value. */
  numberIndex?: number;
  /** Some recorded items had null here (no such element in them): null when the element is missing. */
  nullable?: boolean;
  constant?: unknown;
}

/** A list read off the page: every item under one container, each field relative to its item. */
export interface ListRule {
  /** Children of the container that are items, e.g. `:scope > li`. */
  item: string;
  fields: ListField[];
}

/** One leaf of the output read from the final page (no model); a list is one rule. */
export interface ExtractionRule {
  /** Where the value goes in the output, e.g. ['price'] or ['items', 0, 'name']. */
  path: (string | number)[];
  /** Element whose text holds the value (a list's container); null for a constant. */
  selector: string | null;
  kind: 'string' | 'number' | 'boolean' | 'null' | 'list';
  /** kind `list`: the items and their fields. */
  list?: ListRule;
  /** Text around the value in the element's text, removed when read. */
  before?: string;
  after?: string;
  /** Which number of the element's text (0-based) holds a numeric value. */
  numberIndex?: number;
  constant?: unknown;
}

export interface ScriptBody {
  version: 1;
  engine: string;
  /** URL the recorded run started from (replays start from their own request's url). */
  startUrl: string | null;
  steps: ScriptStep[];
  parameters: ScriptParameter[];
  /**
   * How the output is produced: `rules` read it off the page; `model` asks the extractor (the AI
   * fallback, for outputs the rules cannot express); `constant` is the recorded output.
   */
  output:
    | { mode: 'rules'; rules: ExtractionRule[] }
    | { mode: 'model'; reason?: string }
    | { mode: 'constant'; value: unknown };
  /** The script's own final assertion: the page the recorded run completed on. */
  final: { urlPattern: string };
}

/** One action of a recorded agent run, as the engines capture it (secrets as placeholders). */
export interface TrajectoryEntry {
  type:
    | 'click'
    | 'input_text'
    | 'select_option'
    | 'set_checked'
    | 'hover'
    | 'keypress'
    | 'enter_code'
    | 'goto'
    | 'upload'
    | 'drag'
    | 'new_tab'
    | 'switch_tab'
    | 'close_tab'
    | 'back'
    | 'reload'
    | 'download'
    | 'other';
  /** Stable selector built right before the action (null when none could be built). */
  selector: string | null;
  /** role and accessible name of the element, as the agent observed it. */
  element: { role: string; name: string } | null;
  text?: string;
  labels?: string[];
  checked?: boolean;
  keys?: string;
  /** goto, new_tab, download: the URL (a download's with the observation's link aliases expanded). */
  url?: string;
  /** upload: the files as the run gave them. */
  files?: string[];
  /** drag: the drop target's selector and element. */
  target?: string | null;
  targetElement?: { role: string; name: string } | null;
  /** switch_tab, or an action that left the run in another tab: that tab's title. */
  title?: string;
  /** The action left the run in another tab than it started in (e.g. a link that opens one). */
  tabChanged?: boolean;
  /** That tab was opened by the action (it was not open before). */
  tabOpened?: boolean;
  /** The action downloaded a file (a click on a download link, or the agent's `download`). */
  download?: boolean;
  submit?: boolean;
  typed?: boolean;
  button?: 'left' | 'right';
  double?: boolean;
  ok: boolean;
  navigated: boolean;
  /** URL of the active tab after the action. */
  urlAfter: string;
}

/** The key a script is found by: a task of the same shape on the same site. */
export interface ScriptSignatureParts {
  engine: string;
  /** The prompt with parameter values replaced by `{name}`. */
  promptTemplate: string;
  urlPattern: string;
  schemaHash: string;
}

/** What `script_run` reports on a run (Skyvern's ScriptRunResponse). */
export interface ScriptRunInfo {
  script_id: string | null;
  script_revision_id: string | null;
  ai_fallback_triggered: boolean;
}

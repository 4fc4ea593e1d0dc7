/**
 * Plain data exchanged between the in-page capture script and the pure tree shaping. Keys are
 * short on purpose: a 15k-node page crosses the CDP boundary as JSON.
 */

/** [x, y, width, height] in CSS pixels. */
export type Box = [number, number, number, number];

/**
 * Where the capture saw an interactive element (its exact client rect) and when
 * (performance.now() of the page); kept per element on `window.__wrenObs.seen`.
 */
export interface SeenBox {
  x: number;
  y: number;
  w: number;
  h: number;
  at: number;
}

export interface RawOption {
  label: string;
  value: string;
  selected: boolean;
}

export interface RawElement {
  /** Lowercase tag name. */
  tag: string;
  /** Role used in the rendering, set only on interactable elements and a few containers. */
  role?: string;
  /** Element id: frame-local in a capture, global after stitching. Only interactable elements. */
  id?: number;
  /** Frame-local id of an <iframe>/<frame> element, used to attach the child frame's tree. */
  fid?: number;
  name?: string;
  /** id/name/class of an unnamed control (icon buttons). */
  hint?: string;
  /** Block-level layout (starts a new line). */
  b?: 1;
  /** Box relative to the frame viewport (global viewport after stitching). */
  box?: Box;
  /** Heading level 1-6. */
  lvl?: number;
  type?: string;
  value?: string;
  placeholder?: string;
  href?: string;
  checked?: boolean | 'mixed';
  selected?: boolean;
  expanded?: boolean;
  pressed?: boolean;
  disabled?: 1;
  readonly?: 1;
  required?: 1;
  invalid?: 1;
  focused?: 1;
  multiple?: 1;
  /** A textarea (an input prints its `type` instead). */
  multiline?: 1;
  options?: RawOption[];
  /** Total option count when `options` was truncated. */
  optionCount?: number;
  /** Validation message or aria-errormessage text. */
  error?: string;
  /** Open shadow root host. */
  shadow?: 1;
  /** Title/URL of the frame whose tree was attached under this iframe element (after stitching). */
  frameUrl?: string;
  /** The iframe's document could not be captured. */
  frameError?: string;
  children: RawNode[];
}

export type RawNode = RawElement | string;

export interface FrameCapture {
  /** Random token for this document; ids are only meaningful within it. */
  doc: string;
  url: string;
  title: string;
  scrollX: number;
  scrollY: number;
  scrollWidth: number;
  scrollHeight: number;
  viewportWidth: number;
  viewportHeight: number;
  root: RawElement;
  /** Count of DOM mutations seen since the capture script was installed (effect checks). */
  mutations: number;
}

export interface CaptureOptions {
  /** Longest text kept per text node; longer text is cut with an ellipsis. */
  maxTextLength: number;
  /** Options listed per native <select>. */
  maxOptions: number;
  /** Set up the per-document state only; capture nothing (returns null). */
  installOnly?: boolean;
}

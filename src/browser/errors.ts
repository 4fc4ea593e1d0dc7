/** Typed failures of the browser layer. `kind` is stable and safe to show to a model. */
export type BrowserErrorKind =
  | 'launch_failed'
  | 'browser_disconnected'
  | 'page_crashed'
  | 'closed'
  | 'navigation_blocked'
  | 'navigation_failed'
  | 'invalid_action'
  | 'element_not_found'
  | 'element_stale'
  | 'element_not_interactable'
  | 'no_effect'
  | 'value_mismatch'
  | 'option_not_found'
  | 'timeout'
  | 'download_failed'
  | 'upload_failed'
  | 'tab_not_found'
  | 'action_failed';

export class BrowserError extends Error {
  readonly kind: BrowserErrorKind;
  constructor(kind: BrowserErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BrowserError';
    this.kind = kind;
  }
}

export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message.split('\n')[0] ?? e.message;
  return String(e);
}

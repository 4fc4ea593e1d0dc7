/**
 * Whether a replayed step's element can take a real click, used by the server's replay and by the
 * SDK's cached actions: when it cannot (covered, off-screen), they click with `force`.
 */

/** The one method of Playwright's Locator this needs (scripts/ imports no browser code). */
export interface EvaluatesElement {
  evaluate<R>(fn: (el: HTMLElement | SVGElement) => R): Promise<R>;
}

/** Visible, enabled, in the viewport and the topmost element at its centre. */
export function readyToClick(el: EvaluatesElement): Promise<boolean> {
  return el
    .evaluate((e) => {
      const r = e.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return false;
      if ((e as HTMLButtonElement).disabled || e.getAttribute('aria-disabled') === 'true')
        return false;
      const x = r.left + r.width / 2;
      const y = r.top + r.height / 2;
      if (x < 0 || y < 0 || x > window.innerWidth || y > window.innerHeight) return false;
      const hit = document.elementFromPoint(x, y);
      return hit !== null && (hit === e || e.contains(hit));
    })
    .catch(() => false);
}

import { createHash } from 'node:crypto';

/**
 * Notices when the agent plans the same actions on a page that did not change: the first repeat
 * earns a nudge in the next prompt, a further one ends the run with a reason instead of burning
 * the step budget. A repeat counts only on a settled page (the previous actions' timers, requests
 * and DOM changes had played out when it was observed, docs/engines.md): on a page still
 * changing, the same plan is a fair retry, not a loop.
 */
export type StagnationVerdict = 'fresh' | 'nudge' | 'stuck';

export class StagnationDetector {
  private readonly seen = new Map<string, number>();

  constructor(private readonly stuckAfter = 3) {}

  check(
    pageUrl: string,
    pageText: string,
    plannedActions: readonly string[],
    settled = true,
  ): StagnationVerdict {
    const key = createHash('sha256')
      .update(pageUrl)
      .update('\0')
      .update(pageText)
      .update('\0')
      .update(plannedActions.join('\n'))
      .digest('hex');
    const before = this.seen.get(key) ?? 0;
    if (!settled) return before > 0 ? 'nudge' : 'fresh';
    const count = before + 1;
    this.seen.set(key, count);
    if (count >= this.stuckAfter) return 'stuck';
    return count > 1 ? 'nudge' : 'fresh';
  }
}

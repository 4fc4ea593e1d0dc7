/**
 * Stable selectors: build one for a live element (role + accessible name first, CSS last, unique
 * at that moment), and resolve one back to its element. Selectors use Playwright's syntax.
 */
export {
  focusedTarget,
  type HitNode,
  type PointTarget,
  pickTarget,
  type TargetPick,
  type TargetResult,
  targetAtPoint,
} from './at-point.js';
export { buildSelector, type StableSelector } from './build.js';
export { elementCandidates } from './candidates.js';
export { matchExpression, matchInstallExpression } from './match.js';
export { countMatches, type ResolveOptions, resolveSelector } from './resolve.js';
export {
  looksGenerated,
  quote,
  roleSelector,
  type SelectorStrategy,
  STRATEGY_ORDER,
  textSelector,
} from './syntax.js';

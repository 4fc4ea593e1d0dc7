/**
 * A compact record of the whole run for the model: unlike Skyvern's one-step window, every step
 * stays visible, older ones collapsed to a line, so the model knows what it already tried.
 */

export interface ActionRecord {
  description: string;
  ok: boolean;
  /** Failure detail or notable effect (new tab, dialog, download). */
  note?: string;
}

export interface StepRecord {
  index: number;
  url: string;
  progress: string;
  actions: ActionRecord[];
  /** Problems with the model's reply or verification feedback of that step. */
  feedback: string[];
}

const FULL_STEPS = 6;

function renderActions(actions: ActionRecord[]): string {
  if (actions.length === 0) return '(no action executed)';
  return actions
    .map((a) => `${a.description} → ${a.ok ? 'ok' : 'FAILED'}${a.note ? ` (${a.note})` : ''}`)
    .join('; ');
}

export function renderHistory(steps: readonly StepRecord[]): string {
  if (steps.length === 0) return '(this is the first step)';
  const lines: string[] = [];
  const collapsedUntil = Math.max(0, steps.length - FULL_STEPS);
  for (const [i, step] of steps.entries()) {
    if (i < collapsedUntil) {
      const failed = step.actions.filter((a) => !a.ok).length;
      lines.push(
        `Step ${step.index + 1} (${step.url}): ${step.actions.length} action(s)` +
          `${failed ? `, ${failed} failed` : ''}. ${truncate(step.progress, 120)}`,
      );
      continue;
    }
    lines.push(`Step ${step.index + 1} (${step.url})`);
    if (step.progress) lines.push(`  progress: ${truncate(step.progress, 300)}`);
    lines.push(`  actions: ${renderActions(step.actions)}`);
    for (const f of step.feedback) lines.push(`  feedback: ${truncate(f, 400)}`);
  }
  return lines.join('\n');
}

export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

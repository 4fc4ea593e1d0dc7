import type { TimelineEntry } from '../contract/index.js';
import type { RunRecord, StepRecord } from '../store/index.js';

/**
 * Builds a run's timeline from its recorded engine events (pure): sub-goals become blocks, browser
 * steps become step blocks with their actions and model calls, planner calls outside any step
 * become thoughts.
 */
interface StepBlock {
  entry: TimelineEntry;
  block: Record<string, unknown>;
  actions: Record<string, unknown>[];
  modelCalls: Record<string, unknown>[];
}

/** A screenshot taken during a step (an artifact with step_id `step_<index>`). */
export interface StepScreenshot {
  artifact_id: string;
  artifact_type: string;
  content_type: string;
  /** Signed link to the image (GET /v1/artifacts/{id}/content?expiry&signature). */
  signed_url: string;
}

function blockEntry(block: Record<string, unknown>, at: string): TimelineEntry {
  return { type: 'block', block, children: [], created_at: at, modified_at: at };
}

export function buildTimeline(
  run: RunRecord,
  events: readonly StepRecord[],
  screenshots: ReadonlyMap<number, readonly StepScreenshot[]> = new Map(),
): TimelineEntry[] {
  const top: TimelineEntry[] = [];
  const steps = new Map<number, StepBlock>();
  let subgoal: TimelineEntry | null = null;
  const base = { workflow_run_id: run.id, organization_id: run.organizationId, task_id: run.id };

  for (const e of events) {
    const data = e.data ?? {};
    switch (e.kind) {
      case 'subgoal_started': {
        const kind = String(data['kind'] ?? 'navigate');
        subgoal = blockEntry(
          {
            ...base,
            workflow_run_block_id: `wrb_${run.id}_${String(data['subgoal_index'] ?? top.length)}`,
            block_type:
              { navigate: 'navigation', extract: 'extraction', loop: 'for_loop' }[kind] ?? kind,
            label: data['goal'] ?? null,
            navigation_goal: data['goal'] ?? null,
            status: 'running',
            output: null,
            failure_reason: null,
            created_at: e.createdAt,
            modified_at: e.createdAt,
          },
          e.createdAt,
        );
        top.push(subgoal);
        break;
      }
      case 'subgoal_finished': {
        if (!subgoal?.block) break;
        const status = String(data['status'] ?? 'completed');
        Object.assign(subgoal.block, {
          status,
          output: data['data'] ?? null,
          failure_reason: status === 'completed' ? null : (data['outcome'] ?? null),
          modified_at: e.createdAt,
          duration: (Date.parse(e.createdAt) - Date.parse(subgoal.created_at)) / 1000,
        });
        subgoal.modified_at = e.createdAt;
        subgoal = null;
        break;
      }
      case 'step_started': {
        const block: Record<string, unknown> = {
          ...base,
          workflow_run_block_id: `stp_${run.id}_${e.stepIndex}`,
          block_type: 'step',
          label: `Step ${e.stepIndex + 1}`,
          step_index: e.stepIndex,
          status: 'running',
          created_at: e.createdAt,
          modified_at: e.createdAt,
        };
        const step: StepBlock = {
          entry: blockEntry(block, e.createdAt),
          block,
          actions: [],
          modelCalls: [],
        };
        block['actions'] = step.actions;
        block['model_calls'] = step.modelCalls;
        const shots = screenshots.get(e.stepIndex) ?? [];
        block['screenshot_urls'] = shots.map((s) => s.signed_url);
        block['artifacts'] = shots;
        steps.set(e.stepIndex, step);
        (subgoal ? subgoal.children : top).push(
          step.entry as unknown as Record<string, unknown> & TimelineEntry,
        );
        break;
      }
      case 'action': {
        steps.get(e.stepIndex)?.actions.push({ ...data, created_at: e.createdAt });
        break;
      }
      case 'model_call': {
        const call = {
          ...data,
          input_tokens: e.usage.inputTokens,
          output_tokens: e.usage.outputTokens,
          cost_usd: e.usage.costUsd,
          summary: e.summary,
          created_at: e.createdAt,
        };
        const step = steps.get(e.stepIndex);
        if (step && step.block['status'] === 'running') {
          step.modelCalls.push(call);
        } else {
          top.push({
            type: 'thought',
            thought: {
              thought_id: `th_${run.id}_${top.length}`,
              task_id: run.id,
              organization_id: run.organizationId,
              thought_type: String(data['role'] ?? 'plan'),
              thought: e.summary,
              input_token_count: e.usage.inputTokens,
              output_token_count: e.usage.outputTokens,
              thought_cost: e.usage.costUsd,
              last_llm_model: data['model'] ?? null,
              created_at: e.createdAt,
              modified_at: e.createdAt,
            },
            children: [],
            created_at: e.createdAt,
            modified_at: e.createdAt,
          });
        }
        break;
      }
      case 'network_blocked': {
        // A request the egress policy refused: on its step, else its own block, with why.
        const blocked = { ...data, created_at: e.createdAt };
        const step = steps.get(e.stepIndex);
        if (step) {
          const list = (step.block['blocked_requests'] as unknown[] | undefined) ?? [];
          list.push(blocked);
          step.block['blocked_requests'] = list;
        } else {
          (subgoal ? subgoal.children : top).push(
            blockEntry(
              {
                ...base,
                block_type: 'network_blocked',
                label: data['url'] ?? null,
                status: 'failed',
                failure_reason: data['reason'] ?? null,
                created_at: e.createdAt,
                modified_at: e.createdAt,
              },
              e.createdAt,
            ) as unknown as Record<string, unknown> & TimelineEntry,
          );
        }
        break;
      }
      case 'step_finished': {
        const step = steps.get(e.stepIndex);
        if (!step) break;
        const failed = step.actions.some((a) => a['ok'] === false);
        // Engines that report usage on model calls only (skyvern-1.0) leave the step's at zero.
        const usage = isZero(e.usage) ? sumCalls(step.modelCalls) : e.usage;
        Object.assign(step.block, {
          status: failed ? 'failed' : 'completed',
          summary: e.summary,
          reasoning: data['reasoning'] ?? null,
          // Time spent reading the page during the step (skyvern-1.0).
          observe_ms: data['observe_ms'] ?? null,
          input_tokens: usage.inputTokens,
          output_tokens: usage.outputTokens,
          cost_usd: usage.costUsd,
          modified_at: e.createdAt,
        });
        step.entry.modified_at = e.createdAt;
        break;
      }
      default:
        break;
    }
  }
  return top;
}

type Usage = StepRecord['usage'];

function isZero(u: Usage): boolean {
  return u.inputTokens === 0 && u.outputTokens === 0 && u.costUsd === 0;
}

function sumCalls(calls: readonly Record<string, unknown>[]): Usage {
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  return calls.reduce<Usage>(
    (sum, c) => ({
      inputTokens: sum.inputTokens + n(c['input_tokens']),
      outputTokens: sum.outputTokens + n(c['output_tokens']),
      costUsd: sum.costUsd + n(c['cost_usd']),
    }),
    { inputTokens: 0, outputTokens: 0, costUsd: 0 },
  );
}

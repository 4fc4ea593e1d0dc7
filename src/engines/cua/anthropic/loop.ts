import { isRecord } from '../shared/errors.js';
import { chooseDisplaySize } from '../shared/geometry.js';
import { type CuaLoopOptions, type CuaLoopResult, ModelScreen } from '../shared/loop.js';
import { askUser, completedWith, executeTurn, failedWith, runCuaLoop } from '../shared/run.js';
import {
  type AnthropicToolVersion,
  anthropicToolVersionForModel,
  buildAnthropicRequest,
  parseAnthropicMessage,
} from './protocol.js';

export interface AnthropicCuaLoopOptions extends CuaLoopOptions {
  /** Default: chosen from the model id. */
  toolVersion?: AnthropicToolVersion;
  /** Offer `zoom` on computer_20251124 (the toolset always has it). Default true. */
  enableZoom?: boolean;
  maxTokens?: number;
  system?: string;
  thinking?: unknown;
  /** Screenshots kept in the conversation; older ones become a short text. Default 3. */
  keepImages?: number;
}

export const NOT_EXECUTED_TEXT = 'Not executed: an earlier computer action in this turn failed.';
export const OMITTED_IMAGE_TEXT = '[older screenshot omitted]';

type Block = Record<string, unknown>;

export function runAnthropicCuaLoop(opts: AnthropicCuaLoopOptions): Promise<CuaLoopResult> {
  return runCuaLoop(opts, async () => {
    const version = opts.toolVersion ?? anthropicToolVersionForModel(opts.model);
    const enableZoom = opts.enableZoom ?? true;
    const screen = new ModelScreen(
      opts.computer,
      opts.displaySize ?? chooseDisplaySize(opts.computer.viewport()),
    );
    const messages: Array<{ role: 'user' | 'assistant'; content: unknown[] }> = [
      {
        role: 'user',
        content: [{ type: 'text', text: opts.task }, imageBlock(await screen.capture())],
      },
    ];
    return {
      request() {
        pruneImages(messages, opts.keepImages ?? 3);
        return buildAnthropicRequest({
          model: opts.model,
          version,
          display: screen.size,
          messages,
          maxTokens: opts.maxTokens ?? 4096,
          enableZoom,
          ...(opts.system !== undefined ? { system: opts.system } : {}),
          ...(opts.thinking !== undefined ? { thinking: opts.thinking } : {}),
        });
      },
      parse: (json) => parseAnthropicMessage(json, version, enableZoom),
      async answer(res, stepIndex) {
        const base = { stepIndex, reasoning: res.thinking, message: res.text, usage: res.usage };
        // Sent back verbatim, thinking blocks and signatures included.
        messages.push({ role: 'assistant', content: res.content });

        if (res.toolUses.length === 0) {
          opts.onStep?.({ ...base, actions: [], screenshot: null });
          if (res.stopReason === 'pause_turn') return null;
          if (res.stopReason === 'refusal') {
            return failedWith(`the model refused: ${res.text ?? '(no text)'}`);
          }
          if (res.stopReason === 'max_tokens') {
            return failedWith('the model reply was cut off at max_tokens');
          }
          const reply = await askUser(opts, res.text ?? '');
          if (reply === null) return completedWith(res.text ?? '');
          messages.push({ role: 'user', content: [{ type: 'text', text: reply }] });
          return null;
        }

        const results: Block[] = [];
        const uses = res.toolUses.map((use) => ({ action: use.action, callId: use.id }));
        const records = await executeTurn(
          opts.computer,
          screen,
          opts.signal,
          uses,
          async (record, outcome, i) => {
            const id = res.toolUses[i]!.id;
            if (!outcome) {
              results.push(toolResult(id, true, [{ type: 'text', text: NOT_EXECUTED_TEXT }]));
            } else if (!outcome.ok) {
              results.push(toolResult(id, true, [{ type: 'text', text: outcome.error }]));
            } else {
              const content: Block[] = [];
              if (record.action.kind === 'screenshot') {
                content.push(imageBlock(await screen.capture()));
              }
              if (outcome.image) content.push(imageBlock(outcome.image));
              content.push({ type: 'text', text: outcome.text ?? 'done' });
              results.push(toolResult(id, false, content));
            }
          },
        );
        if (opts.signal?.aborted) {
          opts.onStep?.({ ...base, actions: records, screenshot: null });
          return null;
        }

        // One fresh screenshot per turn, on the last result, or after the results if that one is
        // an error (the model still needs to see the screen it failed on).
        const shot = await screen.capture();
        const userContent: Block[] = [...results];
        const last = results[results.length - 1]!;
        const lastUse = res.toolUses[res.toolUses.length - 1]!;
        if (last['is_error'] === true) userContent.push(imageBlock(shot));
        else if (lastUse.action.kind !== 'screenshot') {
          (last['content'] as Block[]).unshift(imageBlock(shot));
        }
        messages.push({ role: 'user', content: userContent });
        opts.onStep?.({ ...base, actions: records, screenshot: shot });
        return null;
      },
    };
  });
}

export function imageBlock(png: Buffer): Block {
  return {
    type: 'image',
    source: { type: 'base64', media_type: 'image/png', data: png.toString('base64') },
  };
}

function toolResult(id: string, isError: boolean, content: Block[]): Block {
  return { type: 'tool_result', tool_use_id: id, is_error: isError, content };
}

/**
 * Keeps only the newest `keep` images in user turns (tool results included); older ones become a
 * short text so the conversation stays within image and token limits. Assistant turns are never
 * touched: they must go back byte-identical.
 */
export function pruneImages(
  messages: Array<{ role: 'user' | 'assistant'; content: unknown[] }>,
  keep: number,
): void {
  let seen = 0;
  const visit = (list: unknown[]): void => {
    for (let i = list.length - 1; i >= 0; i--) {
      const block = list[i];
      if (!isRecord(block)) continue;
      if (block['type'] === 'image') {
        seen++;
        if (seen > keep) list[i] = { type: 'text', text: OMITTED_IMAGE_TEXT };
      } else if (block['type'] === 'tool_result' && Array.isArray(block['content'])) {
        visit(block['content']);
      }
    }
  };
  for (let m = messages.length - 1; m >= 0; m--) {
    const msg = messages[m]!;
    if (msg.role === 'user') visit(msg.content);
  }
}

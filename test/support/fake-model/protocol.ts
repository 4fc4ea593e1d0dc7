/**
 * Conversation-state checks the real APIs make and a careless adapter would trip over: unanswered
 * or unknown call ids, unacknowledged safety checks, tool/beta mismatches, edited assistant turns.
 * A violation becomes a 400 in the provider's error format, like the real API.
 */
import { type FakeRequest, rec } from './parse.js';

function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

interface ResponsesState {
  pendingCalls: Set<string>;
  safety: Map<string, string[]>;
}

const ANTHROPIC_BETA_FOR_TOOL: Record<string, string> = {
  computer_20241022: 'computer-use-2024-10-22',
  computer_20250124: 'computer-use-2025-01-24',
  computer_20251124: 'computer-use-2025-11-24',
};

export class ProtocolState {
  readonly #responses = new Map<string, ResponsesState>();
  /** tool_use id → JSON of the assistant content we sent with it. */
  readonly #anthropicTurns = new Map<string, string>();

  reset(): void {
    this.#responses.clear();
    this.#anthropicTurns.clear();
  }

  /** Returns an error message when the request breaks the protocol, else null. */
  check(request: FakeRequest): string | null {
    switch (request.dialect) {
      case 'openai-responses':
        return this.#checkResponses(request);
      case 'anthropic-messages':
        return this.#checkAnthropic(request);
      default:
        return null;
    }
  }

  /** Remember what we answered so the next request can be checked against it. */
  remember(request: FakeRequest, response: Record<string, unknown>): void {
    if (request.dialect === 'openai-responses' && typeof response['id'] === 'string') {
      const state: ResponsesState = { pendingCalls: new Set(), safety: new Map() };
      for (const item of arr(response['output'])) {
        const it = rec(item);
        const callId = typeof it['call_id'] === 'string' ? it['call_id'] : null;
        if (!callId) continue;
        if (it['type'] === 'computer_call' || it['type'] === 'function_call')
          state.pendingCalls.add(callId);
        const checks = arr(it['pending_safety_checks']).map((c) => String(rec(c)['id']));
        if (checks.length > 0) state.safety.set(callId, checks);
      }
      this.#responses.set(response['id'], state);
    }
    if (request.dialect === 'anthropic-messages') {
      const content = arr(response['content']);
      for (const block of content) {
        const b = rec(block);
        if (b['type'] === 'tool_use' && typeof b['id'] === 'string')
          this.#anthropicTurns.set(b['id'], JSON.stringify(content));
      }
    }
  }

  #checkResponses(request: FakeRequest): string | null {
    const body = rec(request.body);
    for (const tool of request.tools) {
      if (tool.type === 'computer_use_preview') {
        for (const field of ['display_width', 'display_height', 'environment']) {
          if (tool.raw[field] === undefined)
            return `tools[computer_use_preview].${field} is required`;
        }
        if (body['truncation'] !== 'auto') return 'computer_use_preview requires truncation "auto"';
      }
      if (tool.type === 'computer' && Object.keys(tool.raw).length > 1) {
        return 'tools[computer] takes no other fields';
      }
    }
    const input = arr(body['input']);
    const outputs = new Map<string, Record<string, unknown>>();
    input.forEach((item, i) => {
      const it = rec(item);
      if (
        (it['type'] === 'computer_call_output' || it['type'] === 'function_call_output') &&
        typeof it['call_id'] === 'string'
      ) {
        outputs.set(it['call_id'], it);
      }
      if (it['type'] === 'reasoning' && i === input.length - 1) outputs.set('\u0000reasoning', it);
    });
    if (outputs.has('\u0000reasoning')) {
      return `Item of type 'reasoning' was provided without its required following item.`;
    }
    if (request.previousResponseId === null) {
      // Stateless replay: outputs must answer calls present in the same input.
      const calls = new Set(
        input
          .map((i) => rec(i))
          .filter((i) => i['type'] === 'computer_call' || i['type'] === 'function_call')
          .map((i) => String(i['call_id'])),
      );
      for (const callId of outputs.keys()) {
        if (!calls.has(callId)) return `No tool call found for output with call_id ${callId}.`;
      }
      return null;
    }
    const state = this.#responses.get(request.previousResponseId);
    if (!state) return `Previous response with id '${request.previousResponseId}' not found.`;
    for (const callId of state.pendingCalls) {
      if (!outputs.has(callId)) return `No tool output found for computer call ${callId}.`;
    }
    for (const [callId, output] of outputs) {
      if (!state.pendingCalls.has(callId))
        return `No tool call found for output with call_id ${callId}.`;
      const needed = state.safety.get(callId) ?? [];
      const acked = new Set(
        arr(output['acknowledged_safety_checks']).map((c) => String(rec(c)['id'])),
      );
      for (const id of needed) {
        if (!acked.has(id)) return `Safety check ${id} for call ${callId} was not acknowledged.`;
      }
    }
    return null;
  }

  #checkAnthropic(request: FakeRequest): string | null {
    const body = rec(request.body);
    const betas = (request.headers['anthropic-beta'] ?? '').split(',').map((s) => s.trim());
    for (const tool of request.tools) {
      const flag = ANTHROPIC_BETA_FOR_TOOL[tool.type];
      if (flag) {
        if (!betas.includes(flag))
          return `tools: ${tool.type} requires the anthropic-beta header ${flag}`;
        if (tool.name !== 'computer') return `tools: ${tool.type} must be named "computer"`;
        if (
          typeof tool.raw['display_width_px'] !== 'number' ||
          typeof tool.raw['display_height_px'] !== 'number'
        ) {
          return `tools: ${tool.type} requires display_width_px and display_height_px`;
        }
        if (/claude-(opus|sonnet|haiku)-5-5/.test(request.model)) {
          return `tools: ${tool.type} is not supported by ${request.model}; use computer_toolset_20260801`;
        }
      }
    }
    const messages = arr(body['messages']).map(rec);
    for (let i = 0; i < messages.length; i++) {
      const msg = messages[i] ?? {};
      if (msg['role'] !== 'assistant') continue;
      const content = arr(msg['content']);
      const ids = content
        .map(rec)
        .filter((b) => b['type'] === 'tool_use')
        .map((b) => String(b['id']));
      if (ids.length === 0) continue;
      const sent = this.#anthropicTurns.get(ids[0] ?? '');
      if (sent !== undefined && sent !== JSON.stringify(content)) {
        return `messages.${i}: the assistant turn must be sent back unchanged`;
      }
      const next = messages[i + 1];
      if (!next) continue; // the model's last turn, prefilled by the client
      const blocks = arr(next['content']).map(rec);
      const leading: string[] = [];
      for (const b of blocks) {
        if (b['type'] !== 'tool_result') break;
        leading.push(String(b['tool_use_id']));
      }
      for (const id of ids) {
        if (!leading.includes(id)) {
          return `messages.${i + 1}: tool_use ids were found without tool_result blocks immediately after: ${id}`;
        }
      }
    }
    return null;
  }
}

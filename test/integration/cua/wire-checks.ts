/**
 * The rules the vendors' servers enforce between turns, checked on every request of a run (the
 * same checks the fake model server is meant to emulate). Each returns a list of violations.
 */
type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function openAiViolations(previous: Json | null, body: Json): string[] {
  const out: string[] = [];
  if (!previous) return out;
  if (body['previous_response_id'] !== previous['id'])
    out.push('previous_response_id is not the last response id');
  const pending = new Map<string, string[]>();
  for (const item of (previous['output'] as Json[]) ?? []) {
    if (item['type'] === 'computer_call' || item['type'] === 'function_call') {
      const checks = ((item['pending_safety_checks'] as Json[]) ?? []).map((c) => String(c['id']));
      pending.set(String(item['call_id']), checks);
    }
  }
  const answered = new Set<string>();
  for (const item of (body['input'] as Json[]) ?? []) {
    if (item['type'] !== 'computer_call_output' && item['type'] !== 'function_call_output')
      continue;
    const id = String(item['call_id']);
    if (!pending.has(id)) out.push(`No tool call found for output with call_id ${id}`);
    if (answered.has(id)) out.push(`call_id ${id} answered twice`);
    answered.add(id);
    const acked = ((item['acknowledged_safety_checks'] as Json[]) ?? []).map((c) =>
      String(c['id']),
    );
    for (const check of pending.get(id) ?? []) {
      if (!acked.includes(check)) out.push(`safety check ${check} not acknowledged`);
    }
    if (item['type'] === 'computer_call_output') {
      const output = item['output'];
      if (!isObj(output) || !String(output['image_url']).startsWith('data:image/png;base64,')) {
        out.push(`call_id ${id} output is not a PNG data URL`);
      }
    }
  }
  for (const id of pending.keys())
    if (!answered.has(id)) out.push(`No tool output found for call ${id}`);
  return out;
}

const BETA: Record<string, string> = {
  computer_20241022: 'computer-use-2024-10-22',
  computer_20250124: 'computer-use-2025-01-24',
  computer_20251124: 'computer-use-2025-11-24',
};

export function anthropicViolations(
  previous: Json | null,
  body: Json,
  headers: Record<string, string>,
): string[] {
  const out: string[] = [];
  const tool = ((body['tools'] as Json[]) ?? [])[0] ?? {};
  const flag = BETA[String(tool['type'])];
  if (flag && !(headers['anthropic-beta'] ?? '').split(',').includes(flag))
    out.push(`missing beta flag ${flag}`);
  if (!flag && headers['anthropic-beta']) out.push('beta header sent with the GA toolset');
  if (headers['anthropic-version'] !== '2023-06-01') out.push('anthropic-version header missing');
  const messages = (body['messages'] as Array<{ role: string; content: unknown }>) ?? [];
  for (let i = 1; i < messages.length; i++) {
    if (messages[i]!.role === messages[i - 1]!.role && messages[i]!.role === 'assistant') {
      out.push('two assistant turns in a row');
    }
  }
  if (!previous) return out;
  const uses = ((previous['content'] as Json[]) ?? []).filter((b) => b['type'] === 'tool_use');
  const assistantIndex = messages.findLastIndex((m) => m.role === 'assistant');
  const echoed = messages[assistantIndex];
  if (JSON.stringify(echoed?.content) !== JSON.stringify(previous['content'])) {
    out.push('previous assistant content not echoed verbatim');
  }
  if (uses.length > 0) {
    const next = messages[assistantIndex + 1];
    const blocks = Array.isArray(next?.content) ? (next.content as Json[]) : [];
    const head = blocks.slice(0, uses.length);
    if (head.some((b) => b['type'] !== 'tool_result')) out.push('tool_result blocks are not first');
    const ids = head.map((b) => b['tool_use_id']);
    const expected = uses.map((u) => u['id']);
    if (JSON.stringify(ids) !== JSON.stringify(expected)) {
      out.push(`tool_use ids ${expected.join(',')} answered as ${ids.join(',')}`);
    }
  }
  return out;
}

export function uiTarsViolations(body: Json, instruction: string): string[] {
  const out: string[] = [];
  const messages = (body['messages'] as Array<{ role: string; content: unknown }>) ?? [];
  const first = messages[0];
  if (first?.role !== 'user' || typeof first.content !== 'string')
    out.push('message 0 is not the user prompt');
  else if (!first.content.includes('## Action Space') || !first.content.includes(instruction)) {
    out.push('prompt lacks the action space or the instruction');
  }
  const images = JSON.stringify(messages).match(/data:image\//g) ?? [];
  if (images.length > 5) out.push(`${images.length} images sent (max 5)`);
  const last = messages[messages.length - 1];
  if (last?.role !== 'user' || !JSON.stringify(last.content).includes('image_url')) {
    out.push('the last message is not the current screenshot');
  }
  return out;
}

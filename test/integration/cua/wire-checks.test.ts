import { describe, expect, it } from 'vitest';
import { anthropicViolations, openAiViolations, uiTarsViolations } from './wire-checks.js';

// The checks guard the Chromium runs; prove they are not vacuous.
describe('wire checks', () => {
  it('flag unanswered, unknown and unacknowledged OpenAI calls', () => {
    const prev = {
      id: 'resp_1',
      output: [
        { type: 'computer_call', call_id: 'a', pending_safety_checks: [{ id: 'sc' }] },
        { type: 'computer_call', call_id: 'b', pending_safety_checks: [] },
      ],
    };
    const body = {
      previous_response_id: 'resp_0',
      input: [
        {
          type: 'computer_call_output',
          call_id: 'a',
          output: { image_url: 'data:image/png;base64,AA' },
        },
        { type: 'computer_call_output', call_id: 'z', output: { image_url: 'x' } },
      ],
    };
    expect(openAiViolations(prev, body)).toEqual([
      'previous_response_id is not the last response id',
      'safety check sc not acknowledged',
      'No tool call found for output with call_id z',
      'call_id z output is not a PNG data URL',
      'No tool output found for call b',
    ]);
  });

  it('flag a missing beta flag, an edited assistant turn and misordered tool results', () => {
    const prev = {
      content: [
        { type: 'tool_use', id: 't1' },
        { type: 'tool_use', id: 't2' },
      ],
    };
    const body = {
      tools: [{ type: 'computer_20250124' }],
      messages: [
        { role: 'user', content: 'task' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1' }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't2' },
            { type: 'tool_result', tool_use_id: 't1' },
          ],
        },
      ],
    };
    expect(anthropicViolations(prev, body, { 'anthropic-version': '2023-06-01' })).toEqual([
      'missing beta flag computer-use-2025-01-24',
      'previous assistant content not echoed verbatim',
      'tool_use ids t1,t2 answered as t2,t1',
    ]);
  });

  it('flag a UI-TARS request without the prompt first or with too many images', () => {
    const img = {
      role: 'user',
      content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA' } }],
    };
    expect(uiTarsViolations({ messages: [img, img, img, img, img, img] }, 'goal')).toEqual([
      'message 0 is not the user prompt',
      '6 images sent (max 5)',
    ]);
  });
});

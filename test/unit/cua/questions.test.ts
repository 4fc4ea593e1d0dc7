import { describe, expect, it } from 'vitest';
import {
  runAnthropicCuaLoop,
  runOpenAiCuaLoop,
  runUiTarsLoop,
} from '../../../src/engines/cua/index.js';
import { RecordingComputer, scriptedTransport } from './fakes.js';

const openAiMessage = (id: string, text: string) => ({
  id,
  status: 'completed',
  output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] }],
});
const anthropicText = (text: string) => ({
  id: 'm',
  type: 'message',
  role: 'assistant',
  content: [{ type: 'text', text }],
  stop_reason: 'end_turn',
});
const chat = (content: string) => ({ choices: [{ message: { role: 'assistant', content } }] });

describe('answering a model that asks instead of acting', () => {
  it('OpenAI: the reply goes back as a user message chained to the question', async () => {
    const asked: string[] = [];
    const { postJson, requests } = scriptedTransport([
      openAiMessage('resp_q', 'Please provide the verification code.'),
      openAiMessage('resp_done', 'Logged in.'),
    ]);
    const result = await runOpenAiCuaLoop({
      computer: new RecordingComputer(),
      postJson,
      model: 'gpt-5.4',
      task: 'Log in',
      maxSteps: 5,
      answerQuestion: async (q) => {
        asked.push(q);
        return asked.length === 1 ? 'The code is 123456.' : null;
      },
    });
    expect(result).toMatchObject({ outcome: 'completed', answer: 'Logged in.', steps: 2 });
    expect(asked).toEqual(['Please provide the verification code.', 'Logged in.']);
    expect(requests[1]!.body['previous_response_id']).toBe('resp_q');
    expect(requests[1]!.body['input']).toEqual([
      { role: 'user', content: [{ type: 'input_text', text: 'The code is 123456.' }] },
    ]);
  });

  it('Anthropic: the reply follows the assistant turn as a user text message', async () => {
    const { postJson, requests } = scriptedTransport([
      anthropicText('Should I submit?'),
      anthropicText('Submitted.'),
    ]);
    let n = 0;
    const result = await runAnthropicCuaLoop({
      computer: new RecordingComputer(),
      postJson,
      model: 'claude-sonnet-4-5',
      task: 't',
      maxSteps: 5,
      answerQuestion: async () => (n++ === 0 ? 'Yes, submit it.' : null),
    });
    expect(result).toMatchObject({ outcome: 'completed', answer: 'Submitted.', steps: 2 });
    const messages = requests[1]!.body['messages'] as Array<{ role: string; content: unknown }>;
    expect(messages.slice(1)).toEqual([
      { role: 'assistant', content: [{ type: 'text', text: 'Should I submit?' }] },
      { role: 'user', content: [{ type: 'text', text: 'Yes, submit it.' }] },
    ]);
  });

  it('UI-TARS: call_user() is answered after the reply in the history', async () => {
    const { postJson, requests } = scriptedTransport([
      chat('Thought: I need the 2FA code.\nAction: call_user()'),
      chat("Thought: done\nAction: finished(content='in')"),
    ]);
    const result = await runUiTarsLoop({
      computer: new RecordingComputer(),
      postJson,
      model: 'ui-tars',
      task: 't',
      maxSteps: 5,
      answerQuestion: async (q) => (q === 'I need the 2FA code.' ? 'Code: 654321' : null),
    });
    expect(result).toMatchObject({ outcome: 'completed', answer: 'in', steps: 2 });
    const messages = requests[1]!.body['messages'] as Array<{ role: string; content: unknown }>;
    const i = messages.findIndex((m) => m.role === 'assistant');
    expect(messages[i + 1]).toEqual({ role: 'user', content: 'Code: 654321' });
  });

  it('rejects bad options with a reason naming the field, before any request', async () => {
    const { postJson, requests } = scriptedTransport([]);
    const computer = new RecordingComputer();
    const base = { computer, postJson, model: 'gpt-5.4', task: 'x', maxSteps: 3 };
    expect(await runOpenAiCuaLoop({ ...base, maxSteps: 0 })).toMatchObject({
      outcome: 'failed',
      reason: 'invalid options: maxSteps must be a positive integer (got 0)',
    });
    expect(await runAnthropicCuaLoop({ ...base, task: ' ' })).toMatchObject({
      reason: 'invalid options: task must be a non-empty string',
    });
    expect(await runUiTarsLoop({ ...base, displaySize: { width: 0, height: 10 } })).toMatchObject({
      reason: 'invalid options: displaySize must be positive integer width and height (got 0x10)',
    });
    expect(requests).toHaveLength(0);
    expect(computer.calls).toHaveLength(0);
  });
});

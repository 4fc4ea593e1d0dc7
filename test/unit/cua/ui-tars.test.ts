import { describe, expect, it } from 'vitest';
import {
  type CuaStepRecord,
  parseUiTarsReply,
  runUiTarsLoop,
  uiTarsVersionForModel,
} from '../../../src/engines/cua/index.js';
import { CuaProtocolError } from '../../../src/engines/cua/shared/errors.js';
import { translateUiTarsCalls } from '../../../src/engines/cua/ui-tars/actions.js';
import { smartResize, uiTarsToImage } from '../../../src/engines/cua/ui-tars/coordinates.js';
import { buildUiTarsMessages } from '../../../src/engines/cua/ui-tars/loop.js';
import { addBoxTokens } from '../../../src/engines/cua/ui-tars/parser.js';
import { uiTarsSystemPrompt } from '../../../src/engines/cua/ui-tars/prompt.js';
import { RecordingComputer, scriptedTransport } from './fakes.js';

const chat = (content: string) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 1,
  model: 'ui-tars',
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1000, completion_tokens: 20, total_tokens: 1020 },
});

describe('UI-TARS grammar', () => {
  it('parses thought and action in every coordinate notation', () => {
    expect(parseUiTarsReply("Thought: open it\nAction: click(start_box='(643,312)')")).toEqual({
      thought: 'open it',
      calls: [{ name: 'click', args: { start_box: '(643,312)' } }],
    });
    expect(
      parseUiTarsReply("Action: click(start_box='<|box_start|>(643,312)<|box_end|>')").calls,
    ).toEqual([{ name: 'click', args: { start_box: '(643,312)' } }]);
    expect(
      parseUiTarsReply("Thought: x\nAction: click(point='<point>510 150</point>')").calls,
    ).toEqual([{ name: 'click', args: { start_box: '(510,150)' } }]);
    expect(
      parseUiTarsReply(
        "Action: drag(start_point='<point>458 328</point>', end_point='<point>350 309</point>')",
      ).calls,
    ).toEqual([{ name: 'drag', args: { start_box: '(458,328)', end_box: '(350,309)' } }]);
    expect(
      parseUiTarsReply("Action：click(start_box='[100, 200, 140, 220]')").calls[0]!.args,
    ).toEqual({
      start_box: '[100, 200, 140, 220]',
    });
    expect(
      parseUiTarsReply("Action: click(start_box='<bbox>10 20 30 40</bbox>')").calls[0]!.args,
    ).toEqual({
      start_box: '(10,20,30,40)',
    });
  });

  it('unescapes type content, keeps quotes and ")\\n\\n" inside it, and splits several calls', () => {
    expect(parseUiTarsReply("Action: type(content='it\\'s done\\n')").calls).toEqual([
      { name: 'type', args: { content: "it's done\n" } },
    ]);
    expect(parseUiTarsReply("Action: type(content='it's a (test)\n\nreally')").calls).toEqual([
      { name: 'type', args: { content: "it's a (test)\n\nreally" } },
    ]);
    expect(parseUiTarsReply("Action: type(content='C:\\path')").calls[0]!.args['content']).toBe(
      'C:\\path',
    );
    expect(
      parseUiTarsReply(
        "Thought: copy\nAction: hotkey(key='ctrl c')\n\nclick(point='<point>10 10</point>')",
      ).calls,
    ).toEqual([
      { name: 'hotkey', args: { key: 'ctrl c' } },
      { name: 'click', args: { start_box: '(10,10)' } },
    ]);
    expect(parseUiTarsReply("Action: finished(content='Total is $42')").calls).toEqual([
      { name: 'finished', args: { content: 'Total is $42' } },
    ]);
    expect(parseUiTarsReply('Thought: stuck\nAction: call_user()').calls).toEqual([
      { name: 'call_user', args: {} },
    ]);
    expect(parseUiTarsReply('Reflection: r\nAction_Summary: sum\nAction: wait()').thought).toBe(
      'sum',
    );
  });

  it('throws CuaProtocolError for replies without a usable action', () => {
    expect(() => parseUiTarsReply('I think I should click the button.')).toThrow(CuaProtocolError);
    expect(() => parseUiTarsReply('Thought: hm\nAction: ')).toThrow('holds no action call');
    expect(() => parseUiTarsReply("Action: click(start_box='(1,2)'")).toThrow(CuaProtocolError);
  });

  it('re-adds box tokens for 1.5 history', () => {
    expect(addBoxTokens("Thought: a\nAction: drag(start_box='(1,2)', end_box='(3, 4)')")).toBe(
      "Thought: a\nAction: drag(start_box='<|box_start|>(1,2)<|box_end|>', end_box='<|box_start|>(3,4)<|box_end|>')",
    );
  });
});

describe('UI-TARS coordinates', () => {
  it('smart-resizes like Qwen2.5-VL', () => {
    expect(smartResize({ width: 1280, height: 720 })).toEqual({ width: 1288, height: 728 });
    expect(smartResize({ width: 1288, height: 711 })).toEqual({ width: 1288, height: 700 });
    expect(smartResize({ width: 1920, height: 1080 })).toEqual({ width: 1932, height: 1092 });
    expect(smartResize({ width: 1024, height: 768 })).toEqual({ width: 1036, height: 756 });
  });

  it('maps relative 0–1000 (1.0, Doubao) and smart-resized absolute (1.5) coordinates', () => {
    const image = { width: 1280, height: 720 };
    expect(uiTarsToImage({ x: 500, y: 500 }, 'doubao', image)).toEqual({ x: 640, y: 360 });
    expect(uiTarsToImage({ x: 250, y: 100 }, '1.0', image)).toEqual({ x: 320, y: 72 });
    expect(uiTarsToImage({ x: 644, y: 364 }, '1.5', image)).toEqual({ x: 640, y: 360 });
  });

  it('picks the version (and so prompt and coordinates) from the model id', () => {
    expect(uiTarsVersionForModel('doubao-1-5-ui-tars-250428')).toBe('doubao');
    expect(uiTarsVersionForModel('doubao-1-5-thinking-vision-pro-250428')).toBe('doubao');
    expect(uiTarsVersionForModel('ByteDance-Seed/UI-TARS-1.5-7B')).toBe('1.5');
    expect(uiTarsVersionForModel('seed1.5-vl')).toBe('doubao');
    expect(uiTarsVersionForModel('ui-tars-1.5-7b')).toBe('1.5');
    expect(uiTarsVersionForModel('ui-tars')).toBe('1.0');
  });

  it('builds the prompt for each version with the instruction last', () => {
    const doubao = uiTarsSystemPrompt('doubao', 'Find the price');
    expect(doubao).toContain('## Action Space');
    expect(doubao).toContain("click(point='<point>x1 y1</point>')");
    expect(doubao).toContain(
      "type(content='xxx') # Use escape characters \\', \\\", and \\n in content part",
    );
    expect(doubao.trimEnd().endsWith('## User Instruction\nFind the price')).toBe(true);
    const box = uiTarsSystemPrompt('1.5', 'Go', 'Chinese');
    expect(box).toContain("click(start_box='<|box_start|>(x1,y1)<|box_end|>')");
    expect(box).toContain('call_user()');
    expect(box).toContain('- Use Chinese in `Thought` part.');
  });
});

describe('UI-TARS actions', () => {
  const opts = {
    version: 'doubao' as const,
    image: { width: 1000, height: 500 },
    scrollPixels: 500,
  };
  const one = (reply: string) => translateUiTarsCalls(parseUiTarsReply(reply).calls, opts);

  it('translates every action of the grammar', () => {
    expect(one("Action: click(point='<point>100 200</point>')").actions).toEqual([
      { kind: 'click', at: { x: 100, y: 100 }, button: 'left', clickCount: 1, modifiers: [] },
    ]);
    expect(one("Action: left_double(point='<point>100 200</point>')").actions[0]).toMatchObject({
      clickCount: 2,
    });
    expect(one("Action: right_single(point='<point>100 200</point>')").actions[0]).toMatchObject({
      button: 'right',
    });
    expect(one("Action: hover(start_box='(500,500)')").actions[0]).toEqual({
      kind: 'move',
      to: { x: 500, y: 250 },
      modifiers: [],
    });
    expect(
      one("Action: drag(start_point='<point>0 0</point>', end_point='<point>1000 1000</point>')")
        .actions[0],
    ).toEqual({
      kind: 'drag',
      path: [
        { x: 0, y: 0 },
        { x: 1000, y: 500 },
      ],
      fromCursor: false,
      modifiers: [],
    });
    expect(one("Action: hotkey(key='ctrl a')").actions[0]).toEqual({
      kind: 'keypress',
      keys: ['Control', 'a'],
      repeat: 1,
    });
    expect(one("Action: hotkey(hotkey='space')").actions[0]).toMatchObject({ keys: ['Space'] });
    expect(one("Action: type(content='hello\\n')").actions[0]).toEqual({
      kind: 'type',
      text: 'hello',
      pressEnterAfter: true,
    });
    expect(one("Action: type(content='a\\nb')").actions[0]).toEqual({
      kind: 'type',
      text: 'a\nb',
      pressEnterAfter: false,
    });
    expect(
      one("Action: scroll(point='<point>500 500</point>', direction='down')").actions[0],
    ).toEqual({
      kind: 'scroll',
      at: { x: 500, y: 250 },
      dx: 0,
      dy: 500,
      unit: 'css',
      modifiers: [],
    });
    expect(one("Action: scroll(direction='up')").actions[0]).toMatchObject({
      at: { x: 500, y: 250 },
      dy: -500,
    });
    expect(one('Action: wait()').actions[0]).toEqual({ kind: 'wait', ms: 5000 });
    expect(one("Action: finished(content='42')")).toEqual({
      actions: [],
      finished: '42',
      callUser: false,
    });
    expect(one('Action: call_user()')).toEqual({ actions: [], finished: null, callUser: true });
  });

  it('answers unknown actions and bad arguments with an invalid action', () => {
    expect(one("Action: open_app(app_name='x')").actions[0]).toEqual({
      kind: 'invalid',
      name: 'open_app',
      reason: 'open_app: unknown action',
    });
    expect(one('Action: click()').actions[0]).toMatchObject({
      kind: 'invalid',
      reason: 'click: "start_box" is missing',
    });
    expect(one("Action: scroll(direction='diagonal')").actions[0]).toMatchObject({
      kind: 'invalid',
    });
    expect(one("Action: hotkey(key='hyper x')").actions[0]).toMatchObject({ kind: 'invalid' });
  });
});

describe('runUiTarsLoop', () => {
  it('keeps every reply but only the newest N screenshots (history-5 order at round 8)', () => {
    const shot = (i: number) => Buffer.from([i]);
    const history = [1, 2, 3, 4, 5, 6, 7].map((i) => ({ image: shot(i), reply: `a${i}` }));
    const messages = buildUiTarsMessages('PROMPT', history, shot(8), 5) as Array<{
      role: string;
      content: unknown;
    }>;
    const labels = messages.map((m) =>
      m.role === 'assistant'
        ? (m.content as string)
        : typeof m.content === 'string'
          ? m.content
          : `img${Buffer.from((m.content as Array<{ image_url: { url: string } }>)[0]!.image_url.url.split(',')[1]!, 'base64')[0]}`,
    );
    expect(labels).toEqual([
      'PROMPT',
      'a1',
      'a2',
      'a3',
      'img4',
      'a4',
      'img5',
      'a5',
      'img6',
      'a6',
      'img7',
      'a7',
      'img8',
    ]);
  });

  it('runs a task: scaled clicks, typing with submit, history replay, finished(content) as the answer', async () => {
    // Declared 1000x500 image, real viewport 2000x1000.
    const computer = new RecordingComputer(2000, 1000);
    const replies = [
      "Thought: Click the name field.\nAction: click(point='<point>500 500</point>')",
      "Thought: Type the name.\nAction: type(content='Ada\\n')",
      'I am confused',
      "Thought: Done.\nAction: finished(content='Submitted for Ada')",
    ];
    const { postJson, requests } = scriptedTransport(replies.map(chat));
    const steps: CuaStepRecord[] = [];
    const result = await runUiTarsLoop({
      computer,
      postJson,
      model: 'doubao-1-5-ui-tars-250428',
      task: 'Submit the form for Ada',
      maxSteps: 10,
      displaySize: { width: 1000, height: 500 },
      onStep: (s) => steps.push(s),
    });
    expect(result).toEqual({
      outcome: 'completed',
      answer: 'Submitted for Ada',
      reason: null,
      steps: 4,
      usage: { inputTokens: 4000, outputTokens: 80 },
    });
    expect(computer.actions).toEqual([
      { op: 'click', at: { x: 1000, y: 500 }, button: 'left', clickCount: 1 },
      { op: 'type', text: 'Ada' },
      { op: 'keypress', keys: ['Enter'] },
    ]);
    expect(requests[0]!.path).toBe('/chat/completions');
    expect(requests[0]!.body).toMatchObject({
      model: 'doubao-1-5-ui-tars-250428',
      temperature: 0,
      stream: false,
    });
    const first = requests[0]!.body['messages'] as Array<{ role: string; content: unknown }>;
    expect(first[0]!.role).toBe('user');
    expect(first[0]!.content).toContain('## User Instruction\nSubmit the form for Ada');
    // After the garbage reply the request is re-sent with the same history and screenshot.
    const third = requests[2]!.body['messages'] as Array<{ role: string; content: unknown }>;
    const fourth = requests[3]!.body['messages'] as Array<{ role: string; content: unknown }>;
    expect(fourth).toEqual(third);
    expect(third.filter((m) => m.role === 'assistant').map((m) => m.content)).toEqual([
      replies[0],
      replies[1],
    ]);
    expect(steps[2]).toMatchObject({ error: 'reply has no "Action:" line', actions: [] });
    expect(steps[0]!.reasoning).toBe('Click the name field.');
  });

  it('stops on call_user, fails after repeated garbage, and fails on a malformed body', async () => {
    const cu = scriptedTransport([chat('Thought: I need a login.\nAction: call_user()')]);
    const r1 = await runUiTarsLoop({
      computer: new RecordingComputer(),
      postJson: cu.postJson,
      model: 'ui-tars',
      task: 't',
      maxSteps: 5,
    });
    expect(r1).toMatchObject({ outcome: 'needs_user', answer: 'I need a login.', steps: 1 });

    const junk = scriptedTransport([chat('nope'), chat('nope'), chat('nope')]);
    const r2 = await runUiTarsLoop({
      computer: new RecordingComputer(),
      postJson: junk.postJson,
      model: 'ui-tars',
      task: 't',
      maxSteps: 5,
    });
    expect(r2).toMatchObject({
      outcome: 'failed',
      steps: 3,
      reason: 'malformed model reply: reply has no "Action:" line',
    });

    const bad = scriptedTransport([{ choices: [] }]);
    const r3 = await runUiTarsLoop({
      computer: new RecordingComputer(),
      postJson: bad.postJson,
      model: 'ui-tars',
      task: 't',
      maxSteps: 5,
    });
    expect(r3).toMatchObject({
      outcome: 'failed',
      reason: 'malformed model reply: response has no choices[0].message',
    });
  });

  it('uses the 1.5 smart-resize space and replays replies with box tokens', async () => {
    const computer = new RecordingComputer(1280, 720);
    const { postJson, requests } = scriptedTransport([
      chat("Thought: t\nAction: click(start_box='(644,364)')"),
      chat("Action: finished(content='ok')"),
    ]);
    const result = await runUiTarsLoop({
      computer,
      postJson,
      model: 'ui-tars-1.5-7b',
      task: 't',
      maxSteps: 5,
    });
    expect(result.outcome).toBe('completed');
    expect(computer.actions).toEqual([
      { op: 'click', at: { x: 640, y: 360 }, button: 'left', clickCount: 1 },
    ]);
    const second = requests[1]!.body['messages'] as Array<{ role: string; content: unknown }>;
    expect(second.find((m) => m.role === 'assistant')!.content).toBe(
      "Thought: t\nAction: click(start_box='<|box_start|>(644,364)<|box_end|>')",
    );
  });
});

/**
 * Each CUA loop drives a real Chromium page purely by coordinates. The scripted "model" (a PostJson
 * double speaking the vendor's wire format) looks up where elements are at request time and
 * converts their CSS centre into the declared display space, like a real model reading the
 * screenshot would. The assertions check what the page received.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type PostJson,
  runAnthropicCuaLoop,
  runOpenAiCuaLoop,
  runUiTarsLoop,
  type Size,
} from '../../../src/engines/cua/index.js';
import { PageComputer } from './page-computer.js';
import { anthropicViolations, openAiViolations, uiTarsViolations } from './wire-checks.js';

const FIXTURE = `<!doctype html>
<html><head><title>CUA fixture</title><style>
  body { margin: 0; font: 16px sans-serif; }
  #name { position: absolute; left: 120px; top: 80px; width: 240px; height: 32px; }
  #spacer { height: 2400px; }
  #far { position: absolute; left: 300px; top: 1800px; width: 160px; height: 48px; }
</style></head><body>
  <form id="form"><input id="name" autocomplete="off"></form>
  <div id="spacer"></div>
  <button id="far" type="button">Far button</button>
  <script>
    window.events = [];
    window.clicks = [];
    document.addEventListener('mousedown', (e) => window.clicks.push([e.clientX, e.clientY]));
    document.getElementById('form').addEventListener('submit', (e) => {
      e.preventDefault();
      window.events.push('submit:' + document.getElementById('name').value);
    });
    document.getElementById('far').addEventListener('click', () => window.events.push('far'));
    document.getElementById('name').addEventListener('focus', () => window.events.push('focus'));
  </script>
</body></html>`;

let server: Server;
let baseUrl: string;
let browser: Browser;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end(FIXTURE);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--disable-smooth-scrolling'],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => server.close(() => r()));
});

async function openPage(viewport: Size): Promise<Page> {
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
  const page = await context.newPage();
  await page.goto(baseUrl);
  return page;
}

/** The element's centre in the model's coordinate space, as a model would read it off the image. */
async function centreIn(
  page: Page,
  selector: string,
  display: Size,
): Promise<{ x: number; y: number }> {
  const box = await page.locator(selector).boundingBox();
  if (!box) throw new Error(`${selector} is not visible`);
  const vp = page.viewportSize()!;
  return {
    x: Math.round(((box.x + box.width / 2) * display.width) / vp.width),
    y: Math.round(((box.y + box.height / 2) * display.height) / vp.height),
  };
}

type Check = (
  previous: Record<string, unknown> | null,
  body: Record<string, unknown>,
  headers: Record<string, string>,
) => string[];

/**
 * A PostJson that answers turn i with script[i](request body), after checking the request against
 * the vendor's between-turn rules; a violation gets a 400, as the real API would send.
 */
function scripted(
  check: Check,
  script: Array<(body: Record<string, unknown>) => Promise<unknown> | unknown>,
): { postJson: PostJson; bodies: Array<Record<string, unknown>>; violations: string[] } {
  const bodies: Array<Record<string, unknown>> = [];
  const violations: string[] = [];
  let previous: Record<string, unknown> | null = null;
  const postJson: PostJson = async (_path, body, headers) => {
    const copy = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
    bodies.push(copy);
    const problems = check(previous, copy, headers);
    if (problems.length > 0) {
      violations.push(...problems);
      return { status: 400, json: { error: { message: problems.join('; ') } } };
    }
    const turn = script[bodies.length - 1];
    if (!turn) throw new Error(`no scripted turn ${bodies.length}`);
    previous = (await turn(copy)) as Record<string, unknown>;
    return { status: 200, json: previous };
  };
  return { postJson, bodies, violations };
}

const events = (page: Page) =>
  page.evaluate(() => (window as unknown as { events: string[] }).events);
const clicks = (page: Page) =>
  page.evaluate(() => (window as unknown as { clicks: Array<[number, number]> }).clicks);

/** Click number `index` landed within `tolerance` CSS px of the element's centre (rounding only). */
async function expectClickAtCentre(page: Page, index: number, selector: string, tolerance: number) {
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = (await page.locator(selector).boundingBox())!;
  const click = (await clicks(page))[index];
  expect(click).toBeDefined();
  expect(Math.abs(click![0] - (box.x + box.width / 2))).toBeLessThanOrEqual(tolerance);
  expect(Math.abs(click![1] - (box.y + box.height / 2))).toBeLessThanOrEqual(tolerance);
}

describe('CUA loops on a real Chromium page', () => {
  it('openai-cua (preview): declared 1024x768 on a 1280x960 viewport', async () => {
    const display = { width: 1024, height: 768 };
    const page = await openPage({ width: 1280, height: 960 });
    let id = 0;
    const reply = (output: unknown[]) => ({
      id: `resp_${++id}`,
      object: 'response',
      status: 'completed',
      output,
      usage: { input_tokens: 10, output_tokens: 1 },
    });
    const call = (action: unknown) => ({
      type: 'computer_call',
      id: `cu_${id}`,
      call_id: `call_${id + 1}`,
      status: 'completed',
      action,
      pending_safety_checks: [],
    });
    const { postJson, bodies, violations } = scripted(
      (prev, body) => openAiViolations(prev, body),
      [
        async () =>
          reply([
            call({ type: 'click', button: 'left', ...(await centreIn(page, '#name', display)) }),
          ]),
        () => reply([call({ type: 'type', text: 'Ada Lovelace' })]),
        () => reply([call({ type: 'scroll', x: 512, y: 384, scroll_x: 0, scroll_y: 1200 })]),
        async () =>
          reply([
            call({ type: 'click', button: 'left', ...(await centreIn(page, '#far', display)) }),
          ]),
        () => reply([call({ type: 'keypress', keys: ['CTRL', 'HOME'] })]),
        () =>
          reply([
            {
              type: 'message',
              role: 'assistant',
              content: [{ type: 'output_text', text: 'Done.' }],
            },
          ]),
      ],
    );
    const result = await runOpenAiCuaLoop({
      computer: new PageComputer(page),
      postJson,
      model: 'computer-use-preview',
      task: 'Fill in the name',
      maxSteps: 10,
      displaySize: display,
    });
    expect(violations).toEqual([]);
    expect(result).toMatchObject({ outcome: 'completed', answer: 'Done.', steps: 6 });
    expect(await page.inputValue('#name')).toBe('Ada Lovelace');
    expect(await events(page)).toEqual(['focus', 'far']);
    // Ctrl+Home scrolled back up after the wheel scroll went down (#far was only reachable below).
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    // The model saw #name's centre in 1024x768 space; the click lands on its CSS centre.
    await expectClickAtCentre(page, 0, '#name', 1);
    expect(
      bodies.every(
        (b) =>
          JSON.stringify(b.tools) ===
          JSON.stringify([
            {
              type: 'computer_use_preview',
              display_width: 1024,
              display_height: 768,
              environment: 'browser',
            },
          ]),
      ),
    ).toBe(true);
    await page.context().close();
  });

  it('anthropic-cua (beta 20250124): 1600x1000 viewport declared as 1280x800', async () => {
    const page = await openPage({ width: 1600, height: 1000 });
    const display = { width: 1280, height: 800 };
    let n = 0;
    const msg = (content: unknown[], stop = 'tool_use') => ({
      id: `msg_${++n}`,
      type: 'message',
      role: 'assistant',
      content,
      stop_reason: stop,
      usage: { input_tokens: 10, output_tokens: 1 },
    });
    const use = (input: Record<string, unknown>) => ({
      type: 'tool_use',
      id: `toolu_${++n}`,
      name: 'computer',
      input,
    });
    const { postJson, bodies, violations } = scripted(anthropicViolations, [
      async () => {
        const c = await centreIn(page, '#name', display);
        return msg([
          use({ action: 'left_click', coordinate: [c.x, c.y] }),
          use({ action: 'type', text: 'Grace Hopper' }),
        ]);
      },
      () => msg([use({ action: 'key', text: 'Return' })]),
      () =>
        msg([
          use({
            action: 'scroll',
            coordinate: [640, 400],
            scroll_direction: 'down',
            scroll_amount: 15,
          }),
        ]),
      async () => {
        const c = await centreIn(page, '#far', display);
        return msg([use({ action: 'left_click', coordinate: [c.x, c.y] })]);
      },
      () => msg([{ type: 'text', text: 'Submitted and clicked.' }], 'end_turn'),
    ]);
    const result = await runAnthropicCuaLoop({
      computer: new PageComputer(page),
      postJson,
      model: 'claude-sonnet-4-5',
      task: 'Submit Grace',
      maxSteps: 10,
    });
    expect(violations).toEqual([]);
    expect(result).toMatchObject({
      outcome: 'completed',
      answer: 'Submitted and clicked.',
      steps: 5,
    });
    expect(await events(page)).toEqual(['focus', 'submit:Grace Hopper', 'far']);
    expect(await page.evaluate(() => window.scrollY)).toBeGreaterThan(1000);
    await expectClickAtCentre(page, 0, '#name', 1);
    expect((bodies[0]!.tools as unknown[])[0]).toMatchObject({
      display_width_px: 1280,
      display_height_px: 800,
    });
    await page.context().close();
  });

  it('anthropic-cua (GA toolset): one batch of member calls', async () => {
    const page = await openPage({ width: 1024, height: 768 });
    const display = { width: 1024, height: 768 };
    const member = (id: string, name: string, input: Record<string, unknown> = {}) => ({
      type: 'tool_use',
      id,
      name,
      input,
      toolset_name: 'computer',
    });
    const { postJson, violations } = scripted(anthropicViolations, [
      async () => {
        const c = await centreIn(page, '#name', display);
        return {
          id: 'msg_1',
          type: 'message',
          role: 'assistant',
          stop_reason: 'tool_use',
          content: [
            member('t1', 'triple_click', { coordinate: [c.x, c.y] }),
            member('t2', 'type', { text: 'Katherine' }),
            member('t3', 'key', { text: 'Return' }),
          ],
          usage: { input_tokens: 1, output_tokens: 1 },
        };
      },
      () => ({
        id: 'msg_2',
        type: 'message',
        role: 'assistant',
        stop_reason: 'end_turn',
        content: [{ type: 'text', text: 'ok' }],
        usage: { input_tokens: 1, output_tokens: 1 },
      }),
    ]);
    const result = await runAnthropicCuaLoop({
      computer: new PageComputer(page),
      postJson,
      model: 'claude-opus-5-5',
      task: 'Submit',
      maxSteps: 5,
    });
    expect(violations).toEqual([]);
    expect(result).toMatchObject({ outcome: 'completed', answer: 'ok' });
    expect(await events(page)).toEqual(['focus', 'submit:Katherine']);
    await page.context().close();
  });

  it('ui-tars (Doubao, relative 0–1000): click, type with submit, scroll, finished(content)', async () => {
    const page = await openPage({ width: 1280, height: 720 });
    const rel = async (selector: string) => {
      const c = await centreIn(page, selector, { width: 1000, height: 1000 });
      return `<point>${c.x} ${c.y}</point>`;
    };
    const chat = (content: string) => ({
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 5, completion_tokens: 5 },
    });
    const { postJson, bodies, violations } = scripted(
      (_prev, body) => uiTarsViolations(body, 'Submit Linus'),
      [
        async () =>
          chat(`Thought: Click the name box.\nAction: click(point='${await rel('#name')}')`),
        () => chat("Thought: Type and submit.\nAction: type(content='Linus\\n')"),
        () =>
          chat(
            "Thought: Scroll.\nAction: scroll(point='<point>500 500</point>', direction='down')\n\nscroll(point='<point>500 500</point>', direction='down')\n\nscroll(point='<point>500 500</point>', direction='down')\n\nscroll(point='<point>500 500</point>', direction='down')",
          ),
        async () => chat(`Thought: Click far.\nAction: left_double(point='${await rel('#far')}')`),
        () => chat("Thought: All done.\nAction: finished(content='Submitted Linus')"),
      ],
    );
    const result = await runUiTarsLoop({
      computer: new PageComputer(page),
      postJson,
      model: 'doubao-1-5-ui-tars-250428',
      task: 'Submit Linus',
      maxSteps: 10,
    });
    expect(violations).toEqual([]);
    expect(result).toMatchObject({ outcome: 'completed', answer: 'Submitted Linus', steps: 5 });
    expect(await events(page)).toEqual(['focus', 'submit:Linus', 'far', 'far']);
    // 0–1000 rounding is coarser: one unit is 1.28 x 0.72 CSS px here.
    await expectClickAtCentre(page, 0, '#name', 1.5);
    // At most 5 screenshots in any request.
    for (const body of bodies) {
      const images = JSON.stringify(body.messages).match(/data:image\/png;base64/g) ?? [];
      expect(images.length).toBeLessThanOrEqual(5);
    }
    expect(JSON.stringify(bodies[4]!.messages).match(/data:image\/png;base64/g)).toHaveLength(5);
    await page.context().close();
  });
});

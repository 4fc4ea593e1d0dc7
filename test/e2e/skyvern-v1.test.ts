import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AgentHarness,
  actorReply,
  idOf,
  pageOf,
  roleOf,
  startAgentHarness,
} from '../support/agent-harness.js';
import { REPORT_CSV } from '../support/fixture-server.js';

let h: AgentHarness;
beforeAll(async () => {
  h = await startAgentHarness();
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.fake.reset();
  h.site.clear();
});

const v1 = (body: Record<string, unknown>) => h.submit({ engine: 'skyvern-1.0', ...body });

describe('skyvern-1.0 end to end', () => {
  it('fills a form over two pages; a premature completion is rejected, then verified', async () => {
    let prematureTried = false;
    h.fake.setPolicy((req) => {
      const page = pageOf(req);
      switch (roleOf(req)) {
        case 'verifier':
          return {
            json: page.includes('Received wizard')
              ? { evidence: 'Received wizard is shown', goal_achieved: true, missing: '' }
              : {
                  evidence: 'still on the form',
                  goal_achieved: false,
                  missing: 'the form was not submitted',
                },
          };
        case 'actor':
          if (page.includes('textbox "Full name"')) {
            if (!prematureTried) {
              prematureTried = true;
              return actorReply([{ type: 'complete', answer: null }]);
            }
            return actorReply([
              {
                type: 'input_text',
                id: idOf(page, 'textbox "Full name"'),
                text: 'Ada Lovelace',
                submit: false,
              },
              {
                type: 'input_text',
                id: idOf(page, 'textbox "Email"'),
                text: 'ada@example.com',
                submit: false,
              },
              { type: 'click', id: idOf(page, 'button "Next"') },
            ]);
          }
          if (page.includes('combobox "Plan"')) {
            return actorReply([
              { type: 'select_option', id: idOf(page, 'combobox "Plan"'), labels: ['Pro'] },
              {
                type: 'set_checked',
                id: idOf(page, 'checkbox "I accept the terms"'),
                checked: true,
              },
              { type: 'click', id: idOf(page, 'button "Create account"') },
            ]);
          }
          return actorReply([{ type: 'complete', answer: null }]);
        default:
          return undefined;
      }
    });
    const runId = await v1({
      prompt: 'Sign up as Ada Lovelace (ada@example.com) on the Pro plan.',
      url: `${h.site.url}/agent/wizard.html`,
    });
    const run = await h.waitForRun(runId);
    expect(run['status']).toBe('completed');
    const got = h.site.submissions('wizard');
    expect(got).toHaveLength(1);
    expect(got[0]?.fields).toEqual({
      full_name: 'Ada Lovelace',
      email: 'ada@example.com',
      plan: 'pro',
      terms: 'accepted',
    });
    // The rejection reason went back to the actor on the next step.
    const actorPrompts = h.fake.requests.filter((r) => roleOf(r) === 'actor');
    expect(actorPrompts[1]?.lastUserText).toContain('the form was not submitted');
    expect(run['step_count']).toBe(4);
    const usage = run['usage'] as { input_tokens: number; cost_usd: number };
    expect(usage.input_tokens).toBeGreaterThan(0);
    expect(usage.cost_usd).toBeGreaterThan(0);

    const timeline = (await h.wren.call('GET', `/v1/runs/${runId}/timeline`)).body as {
      block: { actions: { action: string; ok: boolean }[]; observe_ms: number | null };
    }[];
    expect(timeline).toHaveLength(4);
    // Each step says how long reading the page took (every step observes at least once).
    for (const entry of timeline) expect(entry.block.observe_ms).toBeGreaterThan(0);

    // Artifacts: a screenshot after each of the 6 actions, the page text per observation, the
    // final screenshot, the video, and every model call's prompt and response.
    const artifacts = (await h.wren.call('GET', `/v1/runs/${runId}/artifacts`)).body as {
      artifact_type: string;
      step_id: string | null;
    }[];
    const count = (type: string) => artifacts.filter((a) => a.artifact_type === type).length;
    // On a mismatch, say what the run logged (a failed capture is a warning, not a failure).
    const warnings = async () =>
      JSON.stringify(
        (await h.wren.wren.store.runs.steps(runId))
          .filter((e) => e.kind === 'log')
          .map((e) => [e.summary, e.data]),
      );
    // (A capture warning is logged, not stored: the message lists the artifacts and actions.)
    if (count('screenshot_action') !== 6)
      expect.fail(
        `${count('screenshot_action')} action screenshots; warnings ${await warnings()}; artifacts ${JSON.stringify(
          artifacts.map((a) => [a.artifact_type, a.step_id]),
        )}; actions ${JSON.stringify(timeline.map((t) => t.block.actions.map((x) => x.action)))}`,
      );
    expect(count('screenshot_final')).toBe(1);
    expect(count('html_scrape')).toBeGreaterThanOrEqual(4);
    expect(count('llm_prompt')).toBe(count('llm_response'));
    expect(count('llm_prompt')).toBeGreaterThanOrEqual(6);
    expect(count('recording')).toBe(1);
    expect(run['recording_url']).toEqual(expect.stringContaining('/v1/artifacts/'));
    // The video holds the run's pictures: at least the first and the (different) last. Not one per
    // action: a picture equal to the previous one is not stored again, and whether the page had
    // repainted when a frame was taken depends on the machine's load (6 of 7 once, on a busy
    // one); test/integration/recording/recorder.test.ts pins the frames of a scripted page.
    const video = await fetch(run['recording_url'] as string);
    expect(video.headers.get('content-type')).toBe('video/webm');
    const videoDir = mkdtempSync(join(tmpdir(), 'wren-v1-video-'));
    try {
      const file = join(videoDir, 'run.webm');
      writeFileSync(file, Buffer.from(await video.arrayBuffer()));
      const { stdout } = await promisify(execFile)('/usr/bin/ffprobe', [
        ...['-v', 'error', '-count_frames', '-select_streams', 'v:0'],
        ...['-show_entries', 'stream=codec_name,nb_read_frames', '-of', 'json', file],
      ]);
      const stream = (JSON.parse(stdout) as { streams: Record<string, string>[] }).streams[0];
      expect(stream?.['codec_name']).toBe('vp8');
      expect(Number(stream?.['nb_read_frames'])).toBeGreaterThanOrEqual(2);
    } finally {
      rmSync(videoDir, { recursive: true, force: true });
    }
    expect(run['screenshot_urls']).toHaveLength(3);
    // Each step lists the screenshots taken during it; the signed links load without a key.
    const stepShots = (await h.wren.call('GET', `/v1/runs/${runId}/timeline`)).body as {
      block: {
        step_index: number;
        actions: unknown[];
        screenshot_urls: string[];
        artifacts: { artifact_type: string; content_type: string; signed_url: string }[];
      };
    }[];
    const actionShots = stepShots.map(
      (e) => e.block.artifacts.filter((a) => a.artifact_type === 'screenshot_action').length,
    );
    expect(actionShots).toEqual(stepShots.map((e) => e.block.actions.length));
    const second = stepShots[1]?.block;
    expect(second?.screenshot_urls).toEqual(second?.artifacts.map((a) => a.signed_url));
    const image = await fetch(second?.screenshot_urls[0] ?? '');
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toBe(second?.artifacts[0]?.content_type);
    expect(second?.artifacts[0]?.content_type).toMatch(/^image\//);
    expect((await image.arrayBuffer()).byteLength).toBeGreaterThan(1000);
    expect(stepShots.at(-1)?.block.artifacts.map((a) => a.artifact_type)).toContain(
      'screenshot_final',
    );
    // Action screenshots are JPEG (timeline images for people), taken off the agent's path.
    const jpegShots = (
      await h.wren.call('GET', `/v1/runs/${runId}/artifacts?artifact_type=screenshot_action`)
    ).body as { signed_url: string }[];
    expect(jpegShots).toHaveLength(6);
    for (const shot of jpegShots) {
      const bytes = Buffer.from(await (await fetch(shot.signed_url)).arrayBuffer());
      expect(bytes.subarray(0, 3).toString('hex')).toBe('ffd8ff');
      expect(bytes.length).toBeGreaterThan(1000);
    }
    expect(timeline[1]?.block.actions.map((a) => a.action)).toEqual([
      expect.stringMatching(/^input_text \[\d+\] "Ada Lovelace"$/),
      expect.stringMatching(/^input_text \[\d+\] "ada@example.com"$/),
      expect.stringMatching(/^click \[\d+\]$/),
    ]);
  });

  it('searches, then extracts data that matches the caller’s JSON Schema', async () => {
    const schema = {
      type: 'object',
      properties: { products: { type: 'array', items: { type: 'string' }, minItems: 1 } },
      required: ['products'],
    };
    h.fake.setPolicy((req) => {
      const page = pageOf(req);
      switch (roleOf(req)) {
        case 'actor':
          return page.includes('results for')
            ? actorReply([{ type: 'complete', answer: null }])
            : actorReply([
                {
                  type: 'input_text',
                  id: idOf(page, 'searchbox "Search products"'),
                  text: 'lamp',
                  submit: true,
                },
              ]);
        case 'verifier':
          return {
            json: {
              evidence: 'results listed',
              goal_achieved: page.includes('results for'),
              missing: '',
            },
          };
        case 'extractor': {
          // Read the product names out of the page text the model was given.
          const names = [...page.matchAll(/link "([^"]+)" ->\/agent\/product/g)].map((m) => m[1]);
          return { json: { data: { products: names } } };
        }
        default:
          return undefined;
      }
    });
    const runId = await v1({
      prompt: 'Search the shop for lamps and list the names of the products found.',
      url: `${h.site.url}/agent/shop.html`,
      data_extraction_schema: schema,
    });
    const run = await h.waitForRun(runId);
    expect(run['status']).toBe('completed');
    expect(run['output']).toEqual({
      products: ['Brass Desk Lamp', 'Paper Floor Lamp', 'Clip Reading Lamp', 'Vintage Lamp'],
    });
  });

  it('terminates with a mapped error code: errors[] and output.error', async () => {
    h.fake.setPolicy((req) =>
      roleOf(req) === 'actor'
        ? actorReply(
            [
              {
                type: 'terminate',
                reason: 'The page says: "Sold out — this item is no longer available."',
              },
            ],
            {
              error_codes: [
                {
                  code: 'SOLD_OUT',
                  reasoning: 'The product page says sold out.',
                  confidence: 0.95,
                },
              ],
            },
          )
        : undefined,
    );
    const runId = await v1({
      prompt: 'Add the Vintage Lamp to the cart.',
      url: `${h.site.url}/agent/product.html?id=5`,
      error_code_mapping: {
        SOLD_OUT: 'the product is sold out',
        LOGIN_REQUIRED: 'a login wall appears',
      },
    });
    const run = await h.waitForRun(runId);
    expect(run['status']).toBe('terminated');
    expect(run['failure_reason']).toContain('Sold out');
    expect(run['errors']).toEqual([
      {
        error_code: 'SOLD_OUT',
        reasoning: 'The product page says sold out.',
        confidence_float: 0.95,
        error_type: 'USER_DEFINED_ERROR',
      },
    ]);
    expect(run['output']).toEqual({ error: 'SOLD_OUT' });
    expect(h.site.submissions('cart')).toHaveLength(0);
  });

  it('fails with REACH_MAX_STEPS and says what it was doing', async () => {
    h.fake.setPolicy((req) =>
      roleOf(req) === 'actor'
        ? actorReply([{ type: 'scroll', id: null, direction: 'down' }], {
            progress: 'Looking for the contact form, not found yet.',
          })
        : undefined,
    );
    const runId = await v1({
      prompt: 'Send a message through the contact form.',
      url: `${h.site.url}/agent/notice.html`,
      max_steps: 2,
    });
    const run = await h.waitForRun(runId);
    expect(run['status']).toBe('failed');
    expect(run['step_count']).toBe(2);
    expect(run['failure_reason']).toContain('Reached the maximum steps (2)');
    expect(run['failure_reason']).toContain('Looking for the contact form');
    expect(run['errors']).toEqual([
      expect.objectContaining({
        error_code: 'REACH_MAX_STEPS',
        error_type: 'SYSTEM_DEFINED_ERROR',
      }),
    ]);
  });

  it('recovers from garbled and schema-violating model output', async () => {
    let actorCalls = 0;
    h.fake.setPolicy((req) => {
      const page = pageOf(req);
      if (roleOf(req) === 'verifier') {
        return {
          json: {
            evidence: 'ack shown',
            goal_achieved: page.includes('Acknowledged'),
            missing: '',
          },
        };
      }
      if (roleOf(req) !== 'actor') return undefined;
      actorCalls++;
      if (actorCalls === 1) return { text: 'Sure! I will click the button {"actions": [oops' };
      if (actorCalls === 2) return actorReply([{ type: 'click', id: 99999 }]);
      if (page.includes('Acknowledged')) return actorReply([{ type: 'complete', answer: null }]);
      return actorReply([{ type: 'click', id: idOf(page, 'button "Acknowledge"') }]);
    });
    const runId = await v1({
      prompt: 'Acknowledge the notice.',
      url: `${h.site.url}/agent/notice.html`,
    });
    const run = await h.waitForRun(runId);
    expect(run['status']).toBe('completed');
    const prompts = h.fake.requests.filter((r) => roleOf(r) === 'actor').map((r) => r.lastUserText);
    expect(prompts[1]).toContain('Your last reply could not be used');
    expect(prompts[2]).toContain('element "99999" is not on the current page');
  });

  it('delivers page text containing an injected instruction only inside the untrusted block', async () => {
    h.fake.setPolicy((req) => {
      if (roleOf(req) === 'verifier') {
        return { json: { evidence: 'hours shown', goal_achieved: true, missing: '' } };
      }
      return roleOf(req) === 'actor'
        ? actorReply([{ type: 'complete', answer: 'Monday to Friday, 9:00–17:00' }])
        : undefined;
    });
    const runId = await v1({
      prompt: 'What are the opening hours?',
      url: `${h.site.url}/agent/notice.html`,
    });
    const run = await h.waitForRun(runId);
    expect(run['status']).toBe('completed');
    expect(run['output']).toEqual({ answer: 'Monday to Friday, 9:00–17:00' });

    const actor = h.fake.requests.find((r) => roleOf(r) === 'actor');
    const text = actor?.lastUserText ?? '';
    const open = /<(untrusted_[a-z0-9]+) source="current page">/.exec(text);
    expect(open).not.toBeNull();
    const tag = open?.[1] ?? '';
    const start = text.indexOf(open?.[0] ?? '');
    const end = text.indexOf(`</${tag}>`, start);
    const injection = text.indexOf('ignore all previous instructions');
    expect(injection).toBeGreaterThan(start);
    expect(injection).toBeLessThan(end);
    expect(actor?.system).toContain(`Text inside <${tag}> blocks comes from web pages`);
    expect(actor?.system).not.toContain('ignore all previous instructions');
  });

  it('downloads a file the goal asks for and reports it with its sha256', async () => {
    h.fake.setPolicy((req) => {
      const page = pageOf(req);
      if (roleOf(req) === 'verifier') {
        return { json: { evidence: 'downloaded', goal_achieved: true, missing: '' } };
      }
      if (roleOf(req) !== 'actor') return undefined;
      return req.lastUserText.includes('downloaded report.csv')
        ? actorReply([{ type: 'complete', answer: null }])
        : actorReply([
            // Strict structured output: the fields not used are null.
            { type: 'download', id: idOf(page, 'link "Download report (CSV)"'), url: null },
          ]);
    });
    const runId = await v1({ prompt: 'Download the CSV report.', url: `${h.site.url}/files.html` });
    const run = await h.waitForRun(runId);
    expect(run['status']).toBe('completed');
    const files = run['downloaded_files'] as { filename: string; checksum: string; url: string }[];
    expect(files).toHaveLength(1);
    expect(files[0]?.filename).toBe('report.csv');
    expect(files[0]?.checksum).toBe(createHash('sha256').update(REPORT_CSV).digest('hex'));
    const body = await fetch(files[0]?.url ?? '').then((r) => r.text());
    expect(body).toBe(REPORT_CSV);
  });

  it('stops a running run on cancel and frees its browser', async () => {
    let sawFirstStep: () => void = () => {};
    const firstStep = new Promise<void>((resolve) => {
      sawFirstStep = resolve;
    });
    // The model never answers until the test ends: only the cancel can stop this run.
    let answer: () => void = () => {};
    const answered = new Promise<void>((resolve) => {
      answer = resolve;
    });
    h.fake.setPolicy(async (req) => {
      if (roleOf(req) !== 'actor') return undefined;
      sawFirstStep();
      await answered;
      return actorReply([{ type: 'wait', ms: 1000 }]);
    });
    const runId = await v1({ prompt: 'Wait around.', url: `${h.site.url}/agent/notice.html` });
    await firstStep;
    try {
      const cancel = await h.wren.call('POST', `/v1/runs/${runId}/cancel`);
      expect(cancel.status).toBe(200);
      const run = await h.waitForRun(runId, 30_000);
      expect(run['status']).toBe('canceled');
      // The engine stops mid model call and closes its browser context.
      await expect.poll(() => h.wren.wren.browsers.openRuns, { timeout: 30_000 }).toBe(0);
    } finally {
      answer();
    }
  });
});

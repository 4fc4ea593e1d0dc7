/**
 * Card and secret credentials end to end (docs/credentials.md, "Cards and secrets"): a run
 * through the fake model fills a checkout form and an API-token form with placeholders, the site
 * receives the real values, and the card number, the CVV and the secret appear in no model
 * request, log line, stored file, database row or run API answer (test/support/secrecy-scan.ts).
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorReply, idOf, pageOf, roleOf, verifierReply } from '../support/agent-harness.js';
import type { FakeRequest } from '../support/fake-model/parse.js';
import { type FakeModelServer, startFakeModelServer } from '../support/fake-model-server.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';
import { scanForSecrets } from '../support/secrecy-scan.js';
import { isTerminalRun, startTestWren, type TestWren, waitForRun } from '../support/wren.js';

const CARD = {
  card_number: '4000056655665556',
  card_cvv: '8264',
  card_exp_month: '07',
  card_exp_year: '2031',
  card_brand: 'Visa',
  card_holder_name: 'Ada Lovelace',
};
const TOKEN = 'ptk_live_Zq81nW4cVx0e';

let site: FixtureServer;
let fake: FakeModelServer;
let t: TestWren;
const logLines: string[] = [];
const runIds: string[] = [];

/** The model-visible line `<label>: <value>` of the prompt's credential details. */
function detail(req: FakeRequest, label: string): string {
  const line = req.lastUserText.split('\n').find((l) => l.startsWith(`${label}: `));
  if (!line) throw new Error(`no "${label}" line in the prompt:\n${req.lastUserText}`);
  return line.slice(label.length + 2).replace(/ \(a placeholder.*\)$/, '');
}

/** The agent: fills whichever form is on the page from the credential details, then submits. */
function agentPolicy(req: FakeRequest) {
  const page = pageOf(req);
  const role = roleOf(req);
  if (role === 'verifier') return verifierReply(page.includes('Received'));
  if (role !== 'actor') return undefined;
  if (page.includes('Received')) return actorReply([{ type: 'complete', answer: null }]);
  if (page.includes('textbox "Card number"')) {
    const year = detail(req, 'Expiry year');
    return actorReply([
      {
        type: 'input_text',
        submit: false,
        id: idOf(page, 'textbox "Name on card"'),
        text: detail(req, 'Cardholder name'),
      },
      {
        type: 'input_text',
        submit: false,
        id: idOf(page, 'textbox "Card number"'),
        text: detail(req, 'Card number'),
      },
      {
        type: 'input_text',
        submit: false,
        id: idOf(page, 'textbox "Expiry (MM/YY)"'),
        text: `${detail(req, 'Expiry month')}/${year.slice(-2)}`,
      },
      {
        type: 'input_text',
        submit: false,
        id: idOf(page, 'textbox "Security code"'),
        text: detail(req, 'Card security code (CVV)'),
      },
      { type: 'click', id: idOf(page, 'button "Pay now"') },
    ]);
  }
  if (page.includes('textbox "API token"')) {
    return actorReply([
      {
        type: 'input_text',
        submit: false,
        id: idOf(page, 'textbox "API token"'),
        text: detail(req, 'Partner API token'),
      },
      { type: 'click', id: idOf(page, 'button "Connect"') },
    ]);
  }
  return actorReply([{ type: 'terminate', reason: 'no form here' }]);
}

async function credential(body: Record<string, unknown>): Promise<string> {
  const res = await t.call('POST', '/v1/credentials', body);
  expect(res.status, res.text).toBe(201);
  return (res.body as { credential_id: string }).credential_id;
}

async function run(page: string, credentialId: string): Promise<Record<string, unknown>> {
  const res = await t.call('POST', '/v1/run/tasks', {
    engine: 'skyvern-1.0',
    prompt: 'Fill in the form with my saved details and submit it.',
    url: `${site.url}/${page}`,
    credential_id: credentialId,
  });
  expect(res.status, res.text).toBe(200);
  const runId = (res.body as { run_id: string }).run_id;
  runIds.push(runId);
  return waitForRun(t, runId, isTerminalRun, 120_000);
}

beforeAll(async () => {
  [site, fake] = await Promise.all([startFixtureServer(), startFakeModelServer()]);
  fake.setPolicy(agentPolicy);
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  t = await startTestWren({
    env: { ...fake.env('openai/gpt-5-mini'), WREN_RECORDING: 'false' },
    worker: { pollIntervalMs: 50 },
    log: { level: 'debug', destination: capture },
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
  await Promise.all([fake?.close(), site?.close()]);
});

describe('card and secret credentials in runs', () => {
  it('pays with a stored card: the site gets the real number and CVV, the model only placeholders', async () => {
    const cardId = await credential({
      name: 'Company card',
      credential_type: 'credit_card',
      credential: CARD,
    });
    const done = await run('checkout.html', cardId);
    expect(done['status'], String(done['failure_reason'])).toBe('completed');
    const [paid] = site.submissions('checkout');
    expect(paid?.fields).toEqual({
      cc_name: 'Ada Lovelace',
      cc_number: CARD.card_number,
      cc_exp: '07/31',
      cc_csc: CARD.card_cvv,
    });
    const actorPrompts = fake.requests.filter((r) => roleOf(r) === 'actor');
    expect(actorPrompts[0]?.lastUserText).toContain('Card number: {{secret:card_number}}');
    expect(actorPrompts[0]?.lastUserText).toContain(
      'Card security code (CVV): {{secret:card_cvv}}',
    );
  });

  it('connects with a stored secret: the site gets the token, the model a placeholder', async () => {
    const secretId = await credential({
      name: 'Partner',
      credential_type: 'secret',
      credential: { secret_value: TOKEN, secret_label: 'Partner API token' },
    });
    const done = await run('token.html', secretId);
    expect(done['status'], String(done['failure_reason'])).toBe('completed');
    expect(site.submissions('token')[0]?.fields).toEqual({ token: TOKEN });
  });

  it('never lets the card number, the CVV or the secret reach a prompt, log, file, row or answer', async () => {
    const result = await scanForSecrets({
      wren: t,
      modelRequests: fake.requests,
      logLines,
      runIds,
      secrets: [CARD.card_number, TOKEN],
      // A CVV is short: matched as a whole digit token, like one-time codes.
      codes: [CARD.card_cvv],
    });
    expect(result.leaks).toEqual([]);
    expect(result.scanned.modelRequests).toBeGreaterThan(2);
    expect(result.scanned.logLines).toBeGreaterThan(10);
    expect(result.scanned.rows).toBeGreaterThan(5);
    expect(result.scanned.har).toBe(2);
  });
});

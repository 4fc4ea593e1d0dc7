import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { acceptTotpPush } from '../../../src/credentials/index.js';
import { createLlm, type Llm, resolveModelConfig } from '../../../src/llm/index.js';
import { llmDisambiguator } from '../../../src/runs/index.js';
import { maskCodeCandidates } from '../../../src/runs/otp-model.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { type FakeModelServer, startFakeModelServer } from '../../support/fake-model-server.js';

/**
 * Pushed content the rules cannot decide goes to the model (the fake model server, over real
 * HTTP); its answer is stored only when it occurs verbatim in the content.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'wren-otp-model-'));
const ORG = 'o_model';
const AMBIGUOUS = 'Your verification codes: 111222 or 333444. Use the second one for the bank.';
let fake: FakeModelServer;
let store: Store;
let llm: Llm;

beforeAll(async () => {
  fake = await startFakeModelServer();
  const r = resolveModelConfig(fake.env('openai/gpt-5-mini'));
  if (!r.ok) throw new Error(r.problem);
  llm = createLlm(r.config);
  store = await openStore({ dataDir });
  await store.apiKeys.createOrganization({
    id: ORG,
    name: 'model',
    createdAt: new Date().toISOString(),
  });
});
afterAll(async () => {
  await fake.close();
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});
beforeEach(() => fake.reset());

const push = (content: string) =>
  acceptTotpPush(
    { totp_identifier: 'model@example.com', content },
    { organizationId: ORG, store: store.totpCodes, disambiguate: llmDisambiguator(llm) },
  );

describe('llmDisambiguator', () => {
  it('stores the code behind the label the model picks; the model never sees a code', async () => {
    fake.enqueue({ json: { label: '[[V2]]' } });
    const record = await push(AMBIGUOUS);
    expect(record).toMatchObject({ code: '333444', otpType: 'totp', status: 'parsed' });
    expect(fake.requests).toHaveLength(1);
    const request = fake.lastRequest();
    expect(request.system).toContain('replaced by a label');
    expect(request.text).toContain(
      'Your verification codes: [[V1]] or [[V2]]. Use the second one for the bank.',
    );
    expect(request.rawBody).not.toMatch(/111222|333444/);
    const [stored] = await store.totpCodes.list({ organizationId: ORG, limit: 1 });
    expect(stored).toEqual(record);
  });

  it('hides links and codes inside them; a picked link maps back to the whole URL', async () => {
    const mail =
      'Sign in: https://bank.example/magic?token=ab12cd34 or use code 55 66 77. Ref 2024-XK9.';
    const masked = maskCodeCandidates(mail, []);
    expect(masked.text).not.toMatch(/ab12cd34|https:|2024-XK9/);
    expect(masked.legend.join('\n')).toContain('a link to bank.example');
    const linkLabel = [...masked.values].find(([, v]) => v.startsWith('https://'))?.[0];
    expect(linkLabel).toBeDefined();
    fake.enqueue({ json: { label: linkLabel ?? null } });
    const picked = await llmDisambiguator(llm)(mail, []);
    expect(picked).toBe('https://bank.example/magic?token=ab12cd34');
  });

  it('keeps the content raw when the model invents a code or finds none', async () => {
    fake.enqueue({ json: { label: '[[V9]]' } }, { json: { label: null } });
    expect(await push(AMBIGUOUS)).toMatchObject({ code: '', status: 'raw_pending' });
    expect(await push(AMBIGUOUS)).toMatchObject({ code: '', status: 'raw_pending' });
    expect(fake.requests).toHaveLength(2);
  });

  it('keeps the content raw when the model fails, and never asks when the rules decide', async () => {
    fake.enqueue({ error: { status: 400 } });
    expect(await push(AMBIGUOUS)).toMatchObject({ status: 'raw_pending' });
    const before = fake.requests.length;
    expect(await push('Your Fixture Bank code is 482913.')).toMatchObject({ code: '482913' });
    expect(fake.requests).toHaveLength(before);
  });
});

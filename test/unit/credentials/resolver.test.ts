import { describe, expect, it } from 'vitest';
import {
  acceptTotpPush,
  createTotpResolver,
  generateTotp,
  type HttpPost,
  MemoryTotpCodeStore,
  parseTotpSecret,
  readVerificationCode,
  type TotpCodeSource,
  type TotpPoll,
  totpSourcesForRun,
  totpUrlSource,
  verifyBodySignature,
} from '../../../src/credentials/index.js';

const T0 = Date.parse('2026-05-01T12:00:00Z');
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

/** A clock that only moves when the code under test sleeps. */
function fakeTime(start = T0) {
  const t = { now: start, sleeps: [] as number[] };
  return {
    t,
    now: () => t.now,
    sleep: async (ms: number) => {
      t.sleeps.push(ms);
      t.now += ms;
    },
  };
}

function scripted(
  kind: TotpCodeSource['kind'],
  polls: TotpPoll[],
): TotpCodeSource & { calls: number } {
  const src = {
    kind,
    calls: 0,
    async poll(): Promise<TotpPoll> {
      const p = polls[Math.min(src.calls, polls.length - 1)]!;
      src.calls++;
      return p;
    },
  };
  return src;
}

describe('createTotpResolver', () => {
  it('MISSING_TOTP_SOURCE when the run has no source', async () => {
    const r = await createTotpResolver([]).resolve({ runId: 'tsk_1' });
    expect(r).toMatchObject({ ok: false, errorCode: 'MISSING_TOTP_SOURCE' });
  });

  it('a secret cannot answer a magic-link request', async () => {
    const secretOnly = totpSourcesForRun({
      organizationId: 'o',
      runId: 'tsk_1',
      startedAt: new Date(T0),
      totpSecret: SECRET,
    });
    expect(
      await createTotpResolver(secretOnly).resolve({ runId: 'tsk_1', expect: 'magic_link' }),
    ).toEqual({
      ok: false,
      errorCode: 'MISSING_TOTP_SOURCE',
      reason: 'the page waits for a magic link but the run has no totp_url or totp_identifier',
    });
    const clock = fakeTime();
    const pushed = scripted('pushed', [
      { status: 'code', value: 'https://a.test/m', otpType: 'magic_link' },
    ]);
    const r = await createTotpResolver([...secretOnly, pushed], clock).resolve({
      runId: 'tsk_1',
      expect: 'magic_link',
    });
    expect(r).toMatchObject({ ok: true, source: 'pushed', otpType: 'magic_link' });
  });

  it('asks the stored secret first and never polls the others', async () => {
    const clock = fakeTime(T0 + 1_000);
    const url = scripted('totp_url', [{ status: 'pending' }]);
    const r = await createTotpResolver(
      [
        ...totpSourcesForRun({
          organizationId: 'o',
          runId: 'tsk_1',
          startedAt: new Date(T0),
          totpSecret: SECRET,
          ...clock,
        }),
        url,
      ],
      clock,
    ).resolve({ runId: 'tsk_1' });
    expect(r).toEqual({
      ok: true,
      value: generateTotp(parseTotpSecret(SECRET), T0 + 1_000),
      otpType: 'totp',
      source: 'secret',
      validUntilMs: Math.floor((T0 + 1_000) / 30_000) * 30_000 + 30_000,
    });
    expect(url.calls).toBe(0);
  });

  it('falls through a broken secret to the polled sources', async () => {
    const clock = fakeTime();
    const url = scripted('totp_url', [{ status: 'code', value: '445566', otpType: 'totp' }]);
    const r = await createTotpResolver(
      [scripted('secret', [{ status: 'failed', detail: 'stored TOTP secret is unusable' }]), url],
      clock,
    ).resolve({ runId: 'tsk_1' });
    expect(r).toMatchObject({ ok: true, value: '445566', source: 'totp_url' });
  });

  it('OTP_ERROR at once when the only source is a broken secret', async () => {
    const r = await createTotpResolver([
      scripted('secret', [{ status: 'failed', detail: 'stored TOTP secret is unusable: x' }]),
    ]).resolve({ runId: 'tsk_1' });
    expect(r).toEqual({
      ok: false,
      errorCode: 'OTP_ERROR',
      reason: 'secret: stored TOTP secret is unusable: x',
    });
  });

  it('polls url then pushed each round, sleeping the interval, until a code arrives', async () => {
    const clock = fakeTime();
    const url = scripted('totp_url', [{ status: 'pending' }]);
    const pushed = scripted('pushed', [
      { status: 'pending' },
      { status: 'pending' },
      { status: 'code', value: '778899', otpType: 'totp' },
    ]);
    const rounds: number[] = [];
    const r = await createTotpResolver([url, pushed], {
      ...clock,
      pollIntervalMs: 10_000,
      onRound: (n) => rounds.push(n),
    }).resolve({ runId: 'tsk_1' });
    expect(r).toEqual({ ok: true, value: '778899', otpType: 'totp', source: 'pushed' });
    expect(url.calls).toBe(3);
    expect(clock.t.sleeps).toEqual([10_000, 10_000]);
    expect(rounds).toEqual([1, 2]);
  });

  it('OTP_TIMEOUT after the overall timeout when sources answer "no code yet"', async () => {
    const clock = fakeTime();
    const pushed = scripted('pushed', [{ status: 'pending' }]);
    const r = await createTotpResolver([pushed], {
      ...clock,
      pollIntervalMs: 10_000,
      timeoutMs: 15 * 60_000,
    }).resolve({ runId: 'tsk_1' });
    expect(r).toEqual({
      ok: false,
      errorCode: 'OTP_TIMEOUT',
      reason: 'no verification code received within 15 min',
    });
    expect(clock.t.now - T0).toBe(15 * 60_000);
    expect(pushed.calls).toBe(91); // t = 0, 10 s, …, 900 s
  });

  it('OTP_ERROR when the totp_url failed on every poll, listing what it got', async () => {
    const clock = fakeTime();
    const url = scripted('totp_url', [
      { status: 'failed', detail: 'HTTP 500' },
      { status: 'failed', detail: 'HTTP 404' },
    ]);
    const r = await createTotpResolver([url], {
      ...clock,
      pollIntervalMs: 1_000,
      timeoutMs: 3_000,
    }).resolve({
      runId: 'tsk_1',
    });
    expect(r).toEqual({
      ok: false,
      errorCode: 'OTP_ERROR',
      reason: 'no verification code received within 3 s. totp_url: HTTP 500; HTTP 404',
    });
  });

  it('OTP_TIMEOUT (with the failures listed) when another source answered per contract', async () => {
    const clock = fakeTime();
    const r = await createTotpResolver(
      [
        scripted('totp_url', [{ status: 'failed', detail: 'HTTP 502' }]),
        scripted('pushed', [{ status: 'pending' }]),
      ],
      { ...clock, pollIntervalMs: 1_000, timeoutMs: 2_000 },
    ).resolve({ runId: 'tsk_1' });
    expect(r).toMatchObject({ ok: false, errorCode: 'OTP_TIMEOUT' });
    if (!r.ok) expect(r.reason).toContain('totp_url: HTTP 502');
  });

  it('rejects with the abort reason when the run is canceled', async () => {
    const ctl = new AbortController();
    const src = scripted('pushed', [{ status: 'pending' }]);
    const p = createTotpResolver([src], {
      pollIntervalMs: 1_000,
      sleep: async () => {
        ctl.abort(new Error('run canceled'));
      },
    }).resolve({ runId: 'tsk_1', signal: ctl.signal });
    await expect(p).rejects.toThrow('run canceled');
  });

  it('end to end over the pushed-code store: a code pushed while the run waits', async () => {
    const clock = fakeTime();
    const store = new MemoryTotpCodeStore();
    const sources = totpSourcesForRun({
      organizationId: 'o_1',
      runId: 'tsk_1',
      startedAt: new Date(T0 - 1_000),
      totpIdentifier: 'Jane@Example.com',
      codeStore: store,
      ...clock,
    });
    let round = 0;
    const r = await createTotpResolver(sources, {
      ...clock,
      onRound: () => {
        round++;
        if (round === 2) {
          void acceptTotpPush(
            { totp_identifier: 'jane@example.com', content: 'Your code is 605040' },
            { organizationId: 'o_1', store, now: clock.now },
          );
        }
      },
    }).resolve({ runId: 'tsk_1' });
    expect(r).toMatchObject({ ok: true, value: '605040', source: 'pushed' });
    // The same code is not handed out twice (a rejected code must not be retyped).
    const again = await createTotpResolver(sources, { ...clock, timeoutMs: 0 }).resolve({
      runId: 'tsk_1',
    });
    expect(again).toMatchObject({ ok: false, errorCode: 'OTP_TIMEOUT' });
  });
});

describe('totpUrlSource with an injected poster', () => {
  const KEY = 'org-api-key';

  function poster(
    responses: Array<{ status: number; contentType?: string; text: string } | Error>,
  ) {
    const seen: Array<{ url: string; body: string; headers: Record<string, string> }> = [];
    let i = 0;
    const post: HttpPost = async (url, req) => {
      seen.push({ url, body: req.body, headers: req.headers });
      const r = responses[Math.min(i++, responses.length - 1)]!;
      if (r instanceof Error) throw r;
      return { status: r.status, contentType: r.contentType ?? 'application/json', text: r.text };
    };
    return { post, seen };
  }

  it('sends a signed body with the run ids', async () => {
    const { post, seen } = poster([{ status: 200, text: '{"verification_code":"123456"}' }]);
    const src = totpUrlSource({ url: 'http://127.0.0.1:1/totp', apiKey: KEY, post, now: () => T0 });
    const r = await src.poll({
      runId: 'tsk_7',
      workflowRunId: 'wr_1',
      workflowPermanentId: 'wpid_2',
    });
    expect(r).toEqual({ status: 'code', value: '123456', otpType: 'totp' });
    expect(seen[0]!.body).toBe(
      '{"task_id":"tsk_7","workflow_run_id":"wr_1","workflow_permanent_id":"wpid_2"}',
    );
    expect(verifyBodySignature(seen[0]!.body, KEY, seen[0]!.headers['x-skyvern-signature']!)).toBe(
      true,
    );
    expect(seen[0]!.headers['x-skyvern-timestamp']).toBe(String(T0 / 1000));
  });

  it.each([
    ['empty code', { status: 200, text: '{"verification_code":""}' }, { status: 'pending' }],
    ['null code', { status: 200, text: '{"verification_code":null}' }, { status: 'pending' }],
    [
      'numeric code',
      { status: 200, text: '{"verification_code":654321}' },
      { status: 'code', value: '654321' },
    ],
    [
      'a whole SMS',
      { status: 200, text: '{"verification_code":"Your Acme code is 246813. Do not share."}' },
      { status: 'code', value: '246813' },
    ],
    [
      'malformed JSON with raw newlines',
      { status: 200, text: '{"verification_code":"Hi,\nyour code is 135790\nBye"}' },
      { status: 'code', value: '135790' },
    ],
    ['HTTP 500', { status: 500, text: 'oops' }, { status: 'failed', detail: 'HTTP 500' }],
    [
      'HTML answer',
      { status: 200, contentType: 'text/html', text: '<p>123456</p>' },
      { status: 'failed', detail: 'response is not JSON (content-type text/html)' },
    ],
    ['missing field', { status: 200, text: '{"code":"1"}' }, { status: 'failed' }],
  ])('%s', async (_name, response, expected) => {
    const { post } = poster([response]);
    const r = await totpUrlSource({ url: 'http://x', apiKey: KEY, post }).poll({ runId: 'tsk_1' });
    expect(r).toMatchObject(expected);
  });

  it('retries a failing request three times, five seconds apart, then reports it', async () => {
    const clock = fakeTime();
    const { post, seen } = poster([new Error('ECONNREFUSED')]);
    const r = await totpUrlSource({ url: 'http://x', apiKey: KEY, post, ...clock }).poll({
      runId: 'tsk_1',
    });
    expect(r).toEqual({ status: 'failed', detail: 'request failed: ECONNREFUSED' });
    expect(seen).toHaveLength(3);
    expect(clock.t.sleeps).toEqual([5_000, 5_000]);
  });

  it('recovers when a retry succeeds', async () => {
    const clock = fakeTime();
    const { post } = poster([
      new Error('reset'),
      { status: 200, text: '{"verification_code":"112233"}' },
    ]);
    const r = await totpUrlSource({ url: 'http://x', apiKey: KEY, post, ...clock }).poll({
      runId: 'tsk_1',
    });
    expect(r).toMatchObject({ status: 'code', value: '112233' });
  });
});

describe('readVerificationCode', () => {
  it.each([
    ['{"verification_code":" 12 "}', '12'],
    ['{"verification_code":""}', ''],
    ['[1]', undefined],
    ['{}', undefined],
    ['not json', undefined],
    ['{"verification_code": null, oops', ''],
  ])('%j → %j', (text, out) => expect(readVerificationCode(text)).toBe(out));
});

import { describe, expect, it } from 'vitest';
import {
  acceptTotpPush,
  CredentialInputError,
  MemoryTotpCodeStore,
  normalizeTotpIdentifier,
  parseTotpPush,
  RAW_CONTENT_MAX_LENGTH,
  selectPushedCode,
  type TotpCodeRecord,
  toTotpCodeResponse,
} from '../../../src/credentials/index.js';

const T0 = Date.parse('2026-05-01T12:00:00Z');
const MIN = 60_000;

function row(over: Partial<TotpCodeRecord>): TotpCodeRecord {
  return {
    id: 'totp_1',
    organizationId: 'o_1',
    totpIdentifier: 'jane@example.com',
    content: '123456',
    code: '123456',
    otpType: 'totp',
    status: 'parsed',
    taskId: null,
    workflowId: null,
    workflowRunId: null,
    source: null,
    expiredAt: null,
    createdAt: new Date(T0),
    ...over,
  };
}

describe('normalizeTotpIdentifier', () => {
  it.each([
    ['  Jane.Doe@Example.COM ', 'jane.doe@example.com'],
    ['+1 (555) 010-2030', '+15550102030'],
    ['555.010.2030', '5550102030'],
    ['User-42', 'User-42'],
  ])('%j → %j', (input, out) => expect(normalizeTotpIdentifier(input)).toBe(out));
});

describe('parseTotpPush', () => {
  it('normalises identifier, strips NULs, reads naive UTC expiry', () => {
    expect(
      parseTotpPush({
        totp_identifier: 'JANE@example.com',
        content: ' 12\u00003456 ',
        task_id: 'tsk_1',
        source: 'sms',
        expired_at: '2026-05-01T12:05:00',
        type: 'magic_link',
      }),
    ).toEqual({
      totpIdentifier: 'jane@example.com',
      content: '123456',
      taskId: 'tsk_1',
      workflowId: null,
      workflowRunId: null,
      source: 'sms',
      expiredAt: new Date('2026-05-01T12:05:00Z'),
    });
  });

  it.each([
    [null, 'body'],
    [{ content: 'x' }, 'totp_identifier'],
    [{ totp_identifier: 'a', content: 5 }, 'content'],
    [{ totp_identifier: 'a', content: '\u0000 ' }, 'content'],
    [{ totp_identifier: 'a', content: '1234', task_id: 7 }, 'task_id'],
    [{ totp_identifier: 'a', content: '1234', expired_at: 'soon' }, 'expired_at'],
    [{ totp_identifier: 'a', content: '1234', type: 'sms' }, 'type'],
  ])('rejects %j naming %s', (body, field) => {
    try {
      parseTotpPush(body);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CredentialInputError);
      expect((err as CredentialInputError).field).toBe(field);
    }
  });
});

describe('acceptTotpPush', () => {
  const deps = (store = new MemoryTotpCodeStore()) => ({
    organizationId: 'o_1',
    store,
    now: () => T0,
    newId: () => 'totp_42',
  });

  it('stores the code extracted from an SMS and shapes the response like Skyvern', async () => {
    const store = new MemoryTotpCodeStore();
    const rec = await acceptTotpPush(
      {
        totp_identifier: 'Jane@Example.com',
        content: 'Your Acme code is 553311. It expires in 10 minutes.',
        source: 'sms',
      },
      deps(store),
    );
    expect(rec).toMatchObject({ code: '553311', otpType: 'totp', status: 'parsed' });
    expect(
      await store.findRecent({
        organizationId: 'o_1',
        totpIdentifier: 'jane@example.com',
        createdAfter: new Date(T0 - MIN),
      }),
    ).toHaveLength(1);
    expect(toTotpCodeResponse(rec)).toEqual({
      totp_code_id: 'totp_42',
      code: '553311',
      content: 'Your Acme code is 553311. It expires in 10 minutes.',
      totp_identifier: 'jane@example.com',
      task_id: null,
      workflow_id: null,
      workflow_run_id: null,
      source: 'sms',
      expired_at: null,
      organization_id: 'o_1',
      created_at: '2026-05-01T12:00:00.000000',
      modified_at: '2026-05-01T12:00:00.000000',
      otp_type: 'totp',
    });
  });

  it('keeps unparseable content raw, and refuses it when too long', async () => {
    const rec = await acceptTotpPush(
      { totp_identifier: 'x', content: 'Hello, lunch tomorrow?' },
      deps(),
    );
    expect(rec).toMatchObject({ status: 'raw_pending', code: '', otpType: null });
    expect(toTotpCodeResponse(rec)).toMatchObject({ status: 'raw_pending', code: '' });
    await expect(
      acceptTotpPush(
        { totp_identifier: 'x', content: 'lorem ipsum '.repeat(RAW_CONTENT_MAX_LENGTH / 10) },
        deps(),
      ),
    ).rejects.toThrow(/content: no code or link found/);
  });

  it('uses the model only for ambiguous content, and only a verbatim answer', async () => {
    const store = new MemoryTotpCodeStore();
    const rec = await acceptTotpPush(
      { totp_identifier: 'x', content: 'Codes: 111222 or 333444' },
      { ...deps(store), disambiguate: async () => '333444' },
    );
    expect(rec).toMatchObject({ code: '333444', status: 'parsed' });
  });

  it('lists codes newest first with the GET filters', async () => {
    const store = new MemoryTotpCodeStore();
    let t = T0;
    let n = 0;
    const push = (body: object) =>
      acceptTotpPush(body, {
        organizationId: 'o_1',
        store,
        now: () => (t += 1000),
        newId: () => `totp_${++n}`,
      });
    await push({ totp_identifier: 'a@x.com', content: '111111' });
    await push({
      totp_identifier: 'b@x.com',
      content: 'https://x.test/verify?t=abcdefghijklmnopq',
    });
    await push({ totp_identifier: 'A@X.com', content: '222222', workflow_run_id: 'wr_1' });
    const ids = async (q: object) =>
      (await store.list({ organizationId: 'o_1', ...q })).map((r) => r.id);
    expect(await ids({})).toEqual(['totp_3', 'totp_2', 'totp_1']);
    expect(await ids({ totpIdentifier: 'a@X.COM' })).toEqual(['totp_3', 'totp_1']);
    expect(await ids({ workflowRunId: 'wr_1' })).toEqual(['totp_3']);
    expect(await ids({ otpType: 'magic_link' })).toEqual(['totp_2']);
    expect(await ids({ limit: 1 })).toEqual(['totp_3']);
    expect(await store.list({ organizationId: 'o_2' })).toEqual([]);
  });

  it('checks that the scoped run exists', async () => {
    await expect(
      acceptTotpPush(
        { totp_identifier: 'x', content: '123456', task_id: 'tsk_missing' },
        { ...deps(), scopeExists: async () => false },
      ),
    ).rejects.toMatchObject({ field: 'task_id' });
  });
});

describe('selectPushedCode — which code a run may use (docs/credentials.md)', () => {
  const scope = { taskId: 'tsk_me', workflowRunId: null, startedAt: new Date(T0 - 5 * MIN) };
  const pick = (rows: TotpCodeRecord[], extra: object = {}) =>
    selectPushedCode(rows, { scope, nowMs: T0, ...extra })?.value ?? null;

  it('takes the newest usable code', () => {
    expect(
      pick([
        row({ id: 'a', code: '111111', createdAt: new Date(T0 - 3 * MIN) }),
        row({ id: 'b', code: '222222', createdAt: new Date(T0 - 1 * MIN) }),
      ]),
    ).toBe('222222');
  });

  it('skips codes older than the 10-minute lifespan', () => {
    const old = row({ createdAt: new Date(T0 - 11 * MIN) });
    expect(pick([old], { scope: { taskId: 'tsk_me' } })).toBeNull();
    expect(pick([old], { scope: { taskId: 'tsk_me' }, lifespanMs: 20 * MIN })).toBe('123456');
  });

  it('skips codes past expired_at', () => {
    expect(pick([row({ expiredAt: new Date(T0 - 1) })])).toBeNull();
    expect(pick([row({ expiredAt: new Date(T0 + MIN) })])).toBe('123456');
  });

  it('skips codes received before the run started', () => {
    expect(pick([row({ createdAt: new Date(T0 - 6 * MIN) })])).toBeNull();
  });

  it('skips codes scoped to another task, workflow run or workflow', () => {
    expect(pick([row({ taskId: 'tsk_other' })])).toBeNull();
    expect(pick([row({ workflowRunId: 'wr_other' })])).toBeNull();
    expect(pick([row({ workflowId: 'w_other' })])).toBeNull();
    expect(pick([row({ taskId: 'tsk_me' })])).toBe('123456');
  });

  it('skips codes already handed to the run', () => {
    const rows = [
      row({ id: 'new', code: '222222', createdAt: new Date(T0 - MIN) }),
      row({ id: 'old', code: '111111', createdAt: new Date(T0 - 2 * MIN) }),
    ];
    expect(pick(rows, { exclude: new Set(['new']) })).toBe('111111');
  });

  it('re-reads raw content with the expected type in mind', () => {
    const raw = row({
      status: 'raw_pending',
      code: '',
      otpType: null,
      content: 'Enter 998877 or open https://a.test/verify?token=abcdefghijklmnop1234',
    });
    expect(pick([raw], { expect: 'magic_link' })).toBe(
      'https://a.test/verify?token=abcdefghijklmnop1234',
    );
    expect(pick([raw], { expect: 'totp' })).toBe('998877');
  });

  it('filters by type', () => {
    const link = row({
      code: 'https://a.test/m',
      otpType: 'magic_link',
      content: 'https://a.test/m',
    });
    expect(pick([link], { expect: 'totp' })).toBeNull();
    expect(pick([link], { expect: 'magic_link' })).toBe('https://a.test/m');
  });
});

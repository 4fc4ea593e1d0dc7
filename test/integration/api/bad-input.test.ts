import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenApiDoc, OpenApiValidator } from '../../support/openapi.js';
import { startTestWren, type TestWren } from '../../support/wren.js';

let t: TestWren;
let api: OpenApiValidator;

beforeAll(async () => {
  // Worker off: nothing here should ever become a run. Private networks refused, with a resolver
  // that maps names the way a hostile DNS could.
  t = await startTestWren({
    config: {
      workerEnabled: false,
      allowPrivateNetworks: false,
      maxStepsCap: 50,
      bodyLimitBytes: 64 * 1024,
    },
    resolveHost: async (host) => (host === 'internal.example' ? ['10.0.0.7'] : ['93.184.216.34']),
  });
  api = new OpenApiValidator((await (await fetch(`${t.url}/openapi.json`)).json()) as OpenApiDoc);
});
afterAll(async () => t.close());

type Detail = { type: string; loc: (string | number)[]; msg: string; input?: unknown };

async function expect422(body: unknown): Promise<Detail[]> {
  const res = await t.call('POST', '/v1/run/tasks', body);
  expect(res.status, res.text).toBe(422);
  api.assertResponse('/v1/run/tasks', 'post', 422, res.body);
  return (res.body as { detail: Detail[] }).detail;
}

describe('422 names the field and why', () => {
  it('missing prompt', async () => {
    expect(await expect422({ url: 'https://example.com' })).toEqual([
      { type: 'missing', loc: ['body', 'prompt'], msg: 'prompt is required' },
    ]);
  });

  it('a missing body names the fields that route requires', async () => {
    const task = await t.call('POST', '/v1/run/tasks');
    expect(task.status).toBe(422);
    expect((task.body as { detail: Detail[] }).detail[0]?.msg).toBe(
      'the request body is required: send a JSON object with at least "prompt"',
    );
    const code = await t.call('POST', '/v1/credentials/totp');
    expect(code.status).toBe(422);
    expect((code.body as { detail: Detail[] }).detail[0]?.msg).toBe(
      'the request body is required: send a JSON object with at least "totp_identifier", "content"',
    );
  });

  it('unknown engine lists the allowed values', async () => {
    expect(await expect422({ prompt: 'x', engine: 'skyvern-9' })).toEqual([
      {
        type: 'enum',
        loc: ['body', 'engine'],
        msg: 'engine must be one of skyvern-1.0, skyvern-2.0, openai-cua, anthropic-cua, ui-tars; got "skyvern-9"',
        input: 'skyvern-9',
      },
    ]);
  });

  it("invalid data_extraction_schema carries the validator's message", async () => {
    expect(
      await expect422({
        prompt: 'x',
        data_extraction_schema: { type: 'object', properties: { a: { type: 'strin' } } },
      }),
    ).toEqual([
      expect.objectContaining({
        type: 'json_schema_invalid',
        loc: ['body', 'data_extraction_schema'],
        msg: expect.stringMatching(
          /^data_extraction_schema is not a valid JSON Schema: schema\/properties\/a\/type must be equal to one of the allowed values/,
        ),
      }),
    ]);
  });

  it.each([
    ['url', 'ftp://example.com/file'],
    ['webhook_url', 'javascript:alert(1)'],
    ['totp_url', 'file:///etc/passwd'],
  ])('%s that is not http(s)', async (field, value) => {
    expect(await expect422({ prompt: 'x', [field]: value })).toEqual([
      {
        type: 'value_error',
        loc: ['body', field],
        msg: `${field} must be an http or https URL`,
        input: value,
      },
    ]);
  });

  it('max_steps below 1 or above the server cap', async () => {
    expect(await expect422({ prompt: 'x', max_steps: 0 })).toEqual([
      {
        type: 'greater_than_equal',
        loc: ['body', 'max_steps'],
        msg: 'max_steps must be at least 1',
        input: 0,
      },
    ]);
    expect(await expect422({ prompt: 'x', max_steps: 51 })).toEqual([
      {
        type: 'less_than_equal',
        loc: ['body', 'max_steps'],
        msg: 'max_steps must be at most 50 (the server cap, WREN_MAX_STEPS_CAP)',
        input: 51,
      },
    ]);
    expect(await expect422({ prompt: 'x', max_steps: 'ten' })).toEqual([
      {
        type: 'number_type',
        loc: ['body', 'max_steps'],
        msg: 'max_steps must be an integer',
        input: 'ten',
      },
    ]);
  });

  it('malformed proxy_location', async () => {
    const [enumError] = await expect422({ prompt: 'x', proxy_location: 'MOON' });
    expect(enumError).toMatchObject({ loc: ['body', 'proxy_location'], input: 'MOON' });
    expect(enumError?.msg).toMatch(
      /^proxy_location must be one of RESIDENTIAL, .*NONE, a GeoTarget object .*or \{"url": "http:\/\/user:pass@host:port"\}$/,
    );
    expect(await expect422({ prompt: 'x', proxy_location: { country: 'XX' } })).toEqual([
      expect.objectContaining({
        loc: ['body', 'proxy_location', 'country'],
        msg: expect.stringContaining('country must be one of US, AR'),
        input: 'XX',
      }),
    ]);
    expect(await expect422({ prompt: 'x', proxy_location: { url: 'gopher://proxy' } })).toEqual([
      expect.objectContaining({
        loc: ['body', 'proxy_location', 'url'],
        msg: expect.stringContaining('url must be an http(s) or socks proxy URL'),
      }),
    ]);
    expect((await expect422({ prompt: 'x', proxy_location: 42 }))[0]?.loc).toEqual([
      'body',
      'proxy_location',
    ]);
  });

  it('wrong types elsewhere name their field', async () => {
    const detail = await expect422({
      prompt: 7,
      error_code_mapping: { a: 1 },
      browser_address: 'file:///tmp/x',
    });
    expect(detail).toEqual([
      { type: 'string_type', loc: ['body', 'prompt'], msg: 'prompt must be a string', input: 7 },
      expect.objectContaining({
        loc: ['body', 'error_code_mapping', 'a'],
        msg: expect.stringMatching(/^error_code_mapping\.a: /),
        input: 1,
      }),
      {
        type: 'value_error',
        loc: ['body', 'browser_address'],
        msg: 'browser_address must be an HTTP(S) or WebSocket URL with a host',
        input: 'file:///tmp/x',
      },
    ]);
  });

  it('every other field with a wrong type is named, with why', async () => {
    const wrong: Record<string, unknown> = {
      title: 5,
      data_extraction_schema: 5,
      error_code_mapping: ['a'],
      totp_identifier: 5,
      browser_session_id: 5,
      cdp_connect_headers: 'x-api-key: 1',
      extra_http_headers: { 'accept-language': 1 },
      include_action_history_in_verification: 'yes',
      max_screenshot_scrolls: 1.5,
      model: 'gpt-5-mini',
      run_with: 1,
      credential_id: 5,
    };
    const detail = await expect422({ prompt: 'x', ...wrong });
    const named = new Set(detail.map((d) => d.loc[1]));
    expect([...named].sort()).toEqual(Object.keys(wrong).sort());
    for (const d of detail) {
      expect(d.loc[0]).toBe('body');
      // The message starts with the field (or its nested path) and says why.
      expect(d.msg, JSON.stringify(d)).toMatch(new RegExp(`^${String(d.loc[1])}\\b.{8,}`));
      expect(d.msg, JSON.stringify(d)).not.toMatch(/: invalid input$/);
    }
    expect((await t.call('GET', '/v1/runs')).body).toEqual([]);
  });

  it('a body that is not an object', async () => {
    expect(await expect422([1, 2])).toEqual([
      expect.objectContaining({ loc: ['body'], msg: 'the request body must be a JSON object' }),
    ]);
    expect(await expect422('')).toEqual([
      expect.objectContaining({ type: 'missing', loc: ['body'] }),
    ]);
  });
});

describe('other bad requests', () => {
  it('malformed JSON is a 400 that says so', async () => {
    const res = await t.call('POST', '/v1/run/tasks', '{"prompt": "x",');
    expect(res.status).toBe(400);
    expect((res.body as { detail: string }).detail).toMatch(/^Malformed JSON body: /);
  });

  it('a body over the limit is a 413', async () => {
    const res = await t.call('POST', '/v1/run/tasks', { prompt: 'x'.repeat(70 * 1024) });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ detail: 'Request body is too large' });
  });

  it('webhook_url or totp_url on a private network is a 400 naming the field', async () => {
    const loopback = await t.call('POST', '/v1/run/tasks', {
      prompt: 'x',
      webhook_url: 'http://127.0.0.1:8080/hook',
    });
    expect(loopback.status).toBe(400);
    expect((loopback.body as { detail: string }).detail).toMatch(
      /^webhook_url refused: .*127\.0\.0\.1.*WREN_ALLOW_PRIVATE_NETWORKS/,
    );
    const dns = await t.call('POST', '/v1/run/tasks', {
      prompt: 'x',
      totp_url: 'https://internal.example/totp',
    });
    expect(dns.status).toBe(400);
    expect((dns.body as { detail: string }).detail).toMatch(/^totp_url refused: .*10\.0\.0\.7/);
    const metadata = await t.call('POST', '/v1/run/tasks', {
      prompt: 'x',
      webhook_url: 'http://169.254.169.254/',
    });
    expect(metadata.status).toBe(400);
  });

  it.each([
    ['http://2130706433/hook', '127.0.0.1'], // decimal
    ['http://0x7f000001/hook', '127.0.0.1'], // hex
    ['http://0177.0.0.1/hook', '127.0.0.1'], // octal
    ['http://[::1]/hook', '::1'],
    ['http://[::ffff:127.0.0.1]/hook', '::ffff:7f00:1'], // IPv4-mapped IPv6
    ['http://[fe80::1]/hook', 'fe80::1'], // link-local
    ['http://[fd12:3456::1]/hook', 'fd12:3456::1'], // unique local
    ['http://169.254.10.10/hook', '169.254.10.10'], // link-local IPv4
    ['http://0.0.0.0/hook', '0.0.0.0'],
  ])('webhook_url %s is refused in every spelling', async (url, address) => {
    const res = await t.call('POST', '/v1/run/tasks', { prompt: 'x', webhook_url: url });
    expect(res.status, res.text).toBe(400);
    expect((res.body as { detail: string }).detail).toContain(`address (${address})`);
  });

  it.each([
    'http://2852039166/',
    'http://[::ffff:169.254.169.254]/',
    'http://[fd00:ec2::254]/',
    'http://metadata.google.internal./',
  ])('totp_url %s is refused as a cloud metadata address', async (url) => {
    const res = await t.call('POST', '/v1/run/tasks', { prompt: 'x', totp_url: url });
    expect(res.status, res.text).toBe(400);
    expect((res.body as { detail: string }).detail).toMatch(/^totp_url refused: .*metadata/);
  });

  it('bad list queries are 422s naming the parameter', async () => {
    const status = await t.call('GET', '/v1/runs?status=bogus');
    expect(status.status).toBe(422);
    expect(status.body).toEqual({
      detail: [
        {
          type: 'union',
          loc: ['query', 'status'],
          msg: 'status must be one of created, queued, running, paused, timed_out, failed, terminated, completed, canceled',
          input: 'bogus',
        },
      ],
    });
    const search = await t.call('GET', '/v1/runs?search_key=ab');
    expect(search.status).toBe(422);
    expect((search.body as { detail: Detail[] }).detail[0]).toMatchObject({
      loc: ['query', 'search_key'],
      msg: expect.stringMatching(/^search_key: .*3/),
    });
  });

  it('a JSON body labelled text/plain is read as JSON', async () => {
    const res = await fetch(`${t.url}/v1/run/tasks`, {
      method: 'POST',
      headers: { 'x-api-key': t.apiKey, 'content-type': 'text/plain' },
      body: '{"prompt": 7}',
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { detail: Detail[] }).detail[0]?.loc).toEqual(['body', 'prompt']);
  });

  it('a body nested 1,000 levels deep is a 400 naming the field, and stores nothing', async () => {
    // docs/api.md: "JSON nested deeper than 64 levels is a 400 naming the field".
    let deep: unknown = { type: 'string' };
    for (let i = 0; i < 1000; i++) deep = { type: 'object', properties: { a: deep } };
    for (const [field, body] of [
      ['data_extraction_schema', { prompt: 'x', data_extraction_schema: deep }],
      ['error_code_mapping', { prompt: 'x', error_code_mapping: deep }],
      ['extra_http_headers', { prompt: 'x', extra_http_headers: deep }],
    ] as const) {
      const res = await t.call('POST', '/v1/run/tasks', {
        ...body,
        webhook_url: 'https://hooks.example.com/deep',
      });
      expect(res.status, res.text).toBe(400);
      expect((res.body as { detail: string }).detail).toMatch(
        new RegExp(`^${field}(\\.[\\w.]+)?: JSON nested deeper than 64 levels`),
      );
    }
    const array = await t.call(
      'POST',
      '/v1/credentials/totp',
      JSON.parse(`${'['.repeat(500)}${']'.repeat(500)}`),
    );
    expect(array.status).toBe(400);
    expect((array.body as { detail: string }).detail).toMatch(
      /^body\[0\]\[0\]\[0\]: JSON nested deeper than 64 levels/,
    );
    // 60 levels still parse: this one is refused for its missing prompt, not its depth.
    let ok: unknown = { type: 'string' };
    for (let i = 0; i < 29; i++) ok = { type: 'object', properties: { a: ok } };
    const fine = await t.call('POST', '/v1/run/tasks', { data_extraction_schema: ok });
    expect(fine.status, fine.text).toBe(422);
    expect(fine.text).toContain('prompt is required');
    // No signing key was stored for the refused requests (they carried a webhook_url).
    const keys = await (
      t.wren.store as unknown as {
        db: { selectFrom(t: string): { selectAll(): { execute(): Promise<unknown[]> } } };
      }
    ).db
      .selectFrom('run_signing_keys')
      .selectAll()
      .execute();
    expect(keys).toEqual([]);
  });

  it('stored nothing for any of the invalid requests above', async () => {
    expect((await t.call('GET', '/v1/runs')).body).toEqual([]);
  });

  it('ignores unknown fields and headers and keeps the valid request', async () => {
    const res = await t.call(
      'POST',
      '/v1/run/tasks',
      { prompt: 'keep me', start_fresh_browser: false, surprise: { a: 1 } },
      { 'x-something': 'y' },
    );
    expect(res.status).toBe(200);
    expect((res.body as Record<string, unknown>)['run_request']).not.toHaveProperty('surprise');
    const webhook = await t.call('POST', '/v1/run/tasks', {
      prompt: 'public hook',
      webhook_url: 'hooks.example.com/done',
    });
    expect(webhook.status).toBe(200);
    expect((webhook.body as { run_request: { webhook_url: string } }).run_request.webhook_url).toBe(
      'https://hooks.example.com/done',
    );
    expect(((await t.call('GET', '/v1/runs')).body as unknown[]).length).toBe(2);
  });
});

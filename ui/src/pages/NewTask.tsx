/** New task: every run parameter, client-side checks, and the equivalent API calls to copy. */
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useMemo, useState } from 'react';
import { GEO_COUNTRIES, PROXY_LOCATIONS } from '../../../src/contract/enums';
import { ApiError, client, fieldErrors, type Schemas, unwrap } from '../api';
import { Card, CopyButton, ErrorNote } from '../components';
import { navigate } from '../router';
import { checkExtractionSchema, EXAMPLE_SCHEMA } from '../schema-check';
import { curlSnippet, pythonSnippet, typescriptSnippet } from '../snippets';

export const ENGINES = [
  {
    id: 'skyvern-2.0',
    name: 'Skyvern 2.0',
    blurb:
      'Plans the goal as sub-goals and works through them; best for multi-page tasks (default).',
  },
  {
    id: 'skyvern-1.0',
    name: 'Skyvern 1.0',
    blurb: 'One agent loop over the page’s elements; fastest and cheapest for single-page tasks.',
  },
  {
    id: 'openai-cua',
    name: 'OpenAI CUA',
    blurb: 'OpenAI’s computer-use model acts on screenshots with mouse and keyboard.',
  },
  {
    id: 'anthropic-cua',
    name: 'Anthropic CUA',
    blurb: 'Claude computer use: sees screenshots, clicks and types by pixel coordinates.',
  },
  {
    id: 'ui-tars',
    name: 'UI-TARS',
    blurb:
      'ByteDance’s open UI-TARS vision model (self-hosted or Doubao), screenshot in, actions out.',
  },
] as const;

interface ErrorCodeRow {
  code: string;
  description: string;
}

function credentialHint(
  c: Pick<Schemas['CredentialResponse'], 'credential' | 'credential_type'>,
): string {
  const d = c.credential;
  if ('username' in d && d.username) return ` (${d.username})`;
  if ('last_four' in d && d.last_four) return ` (${d.brand || 'card'} •••• ${d.last_four})`;
  return c.credential_type === 'secret' ? ' (secret)' : '';
}

interface FormState {
  prompt: string;
  url: string;
  title: string;
  engine: string;
  schemaText: string;
  errorCodes: ErrorCodeRow[];
  webhookUrl: string;
  maxSteps: string;
  proxyMode: 'none' | 'preset' | 'geo' | 'custom';
  proxyPreset: string;
  geoCountry: string;
  geoSubdivision: string;
  geoCity: string;
  proxyUrl: string;
  totpIdentifier: string;
  totpUrl: string;
  credentialId: string;
  browserSessionId: string;
  browserAddress: string;
  extraHeaders: string;
  cdpHeaders: string;
  includeHistory: boolean;
  maxScreenshotScrolls: string;
  modelName: string;
}

const EMPTY: FormState = {
  prompt: '',
  url: '',
  title: '',
  engine: 'skyvern-2.0',
  schemaText: '',
  errorCodes: [],
  webhookUrl: '',
  maxSteps: '',
  proxyMode: 'none',
  proxyPreset: 'RESIDENTIAL',
  geoCountry: 'US',
  geoSubdivision: '',
  geoCity: '',
  proxyUrl: '',
  totpIdentifier: '',
  totpUrl: '',
  credentialId: '',
  browserSessionId: '',
  browserAddress: '',
  extraHeaders: '',
  cdpHeaders: '',
  includeHistory: false,
  maxScreenshotScrolls: '',
  modelName: '',
};

/** Form state keys whose request field has another name (labels point at `f-<field>`). */
const FIELD_OF: Partial<Record<keyof FormState, string>> = {
  maxSteps: 'max_steps',
  modelName: 'model',
  totpIdentifier: 'totp_identifier',
  totpUrl: 'totp_url',
  browserSessionId: 'browser_session_id',
  browserAddress: 'browser_address',
  maxScreenshotScrolls: 'max_screenshot_scrolls',
  webhookUrl: 'webhook_url',
};

type Built = { body: Record<string, unknown>; problems: Record<string, string> };

function parseHeaders(text: string, field: string, problems: Record<string, string>) {
  if (!text.trim()) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    if (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      Object.values(value).every((v) => typeof v === 'string')
    )
      return value as Record<string, string>;
  } catch {
    // reported below
  }
  problems[field] =
    `${field} must be a JSON object of string values, e.g. {"Accept-Language": "en"}`;
  return undefined;
}

/** The request body the form describes, plus the problems found before sending. */
export function buildRequest(f: FormState): Built {
  const problems: Record<string, string> = {};
  const body: Record<string, unknown> = { prompt: f.prompt.trim() };
  if (!body['prompt']) problems['prompt'] = 'prompt is required: say what the agent should do';
  if (f.url.trim()) body['url'] = f.url.trim();
  if (f.title.trim()) body['title'] = f.title.trim();
  body['engine'] = f.engine;
  const schema = checkExtractionSchema(f.schemaText);
  if (schema.kind === 'schema' || schema.kind === 'text')
    body['data_extraction_schema'] = schema.value;
  if (schema.kind === 'invalid') problems['data_extraction_schema'] = schema.message;
  const codes = f.errorCodes.filter((r) => r.code.trim() || r.description.trim());
  if (codes.length) {
    const mapping: Record<string, string> = {};
    for (const row of codes) {
      if (!row.code.trim() || !row.description.trim()) {
        problems['error_code_mapping'] = 'each error code needs a code and a description';
        continue;
      }
      mapping[row.code.trim()] = row.description.trim();
    }
    body['error_code_mapping'] = mapping;
  }
  if (f.webhookUrl.trim()) body['webhook_url'] = f.webhookUrl.trim();
  if (f.maxSteps.trim()) {
    const n = Number(f.maxSteps);
    if (!Number.isInteger(n) || n < 1)
      problems['max_steps'] = 'max_steps must be a whole number ≥ 1';
    else body['max_steps'] = n;
  }
  if (f.proxyMode === 'preset') body['proxy_location'] = f.proxyPreset;
  if (f.proxyMode === 'geo') {
    const geo: Record<string, string> = { country: f.geoCountry };
    if (f.geoSubdivision.trim()) geo['subdivision'] = f.geoSubdivision.trim();
    if (f.geoCity.trim()) geo['city'] = f.geoCity.trim();
    body['proxy_location'] = geo;
  }
  if (f.proxyMode === 'custom') {
    if (!f.proxyUrl.trim())
      problems['proxy_location'] = 'enter the proxy URL, e.g. http://user:pass@host:8080';
    else body['proxy_location'] = { url: f.proxyUrl.trim() };
  }
  if (f.totpIdentifier.trim()) body['totp_identifier'] = f.totpIdentifier.trim();
  if (f.totpUrl.trim()) body['totp_url'] = f.totpUrl.trim();
  if (f.credentialId) body['credential_id'] = f.credentialId;
  if (f.browserSessionId.trim()) body['browser_session_id'] = f.browserSessionId.trim();
  if (f.browserAddress.trim()) body['browser_address'] = f.browserAddress.trim();
  const extra = parseHeaders(f.extraHeaders, 'extra_http_headers', problems);
  if (extra) body['extra_http_headers'] = extra;
  const cdp = parseHeaders(f.cdpHeaders, 'cdp_connect_headers', problems);
  if (cdp) body['cdp_connect_headers'] = cdp;
  if (f.includeHistory) body['include_action_history_in_verification'] = true;
  if (f.maxScreenshotScrolls.trim()) {
    const n = Number(f.maxScreenshotScrolls);
    if (!Number.isInteger(n) || n < 0)
      problems['max_screenshot_scrolls'] = 'max_screenshot_scrolls must be a whole number ≥ 0';
    else body['max_screenshot_scrolls'] = n;
  }
  if (f.modelName.trim()) body['model'] = { model_name: f.modelName.trim() };
  return { body, problems };
}

function Field(props: {
  label: string;
  name: string;
  hint?: ReactNode;
  error?: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className={`field ${props.error ? 'field-error' : ''}`} data-field={props.name}>
      <label htmlFor={`f-${props.name}`}>{props.label}</label>
      {props.children}
      {props.error ? (
        <p className="field-msg" role="alert">
          {props.error}
        </p>
      ) : props.hint ? (
        <p className="hint">{props.hint}</p>
      ) : null}
    </div>
  );
}

/** A list the form offers (credentials, sessions); `unavailable` when this server has no such route. */
function useOptional<T>(key: string, load: () => Promise<T[]>) {
  const query = useQuery({ queryKey: [key], queryFn: load });
  return {
    items: query.data ?? null,
    unavailable: query.error instanceof ApiError && query.error.unavailable,
  };
}

export function NewTaskPage() {
  const [form, setForm] = useState<FormState>(EMPTY);
  const [serverErrors, setServerErrors] = useState<Record<string, string>>({});
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [submitting, setSubmitting] = useState(false);
  const [tried, setTried] = useState(false);
  const [tab, setTab] = useState<'curl' | 'ts' | 'python'>('curl');
  const credentials = useOptional('credentials', () =>
    unwrap(client.GET('/v1/credentials', { params: { query: { page_size: 100 } } })),
  );
  const sessions = useOptional('sessions', () => unwrap(client.GET('/v1/browser_sessions')));

  const set = <K extends keyof FormState>(key: K, value: FormState[K]) =>
    setForm((f) => ({ ...f, [key]: value }));
  const { body, problems } = useMemo(() => buildRequest(form), [form]);
  const schema = useMemo(() => checkExtractionSchema(form.schemaText), [form.schemaText]);
  const errorFor = (field: string) =>
    serverErrors[field] ??
    (tried || field === 'data_extraction_schema' ? problems[field] : undefined);

  const origin = window.location.origin;
  const snippet =
    tab === 'curl'
      ? curlSnippet(origin, body)
      : tab === 'ts'
        ? typescriptSnippet(origin, body)
        : pythonSnippet(origin, body);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    setServerErrors({});
    setSubmitError(null);
    if (Object.keys(problems).length) return;
    setSubmitting(true);
    try {
      // The form builds the body field by field (buildRequest); the server validates it again.
      const run = await unwrap(
        client.POST('/v1/run/tasks', { body: body as unknown as Schemas['TaskRunRequestInput'] }),
      );
      navigate(`/runs/${run.run_id}`);
    } catch (error) {
      const fields = fieldErrors(error);
      setServerErrors(fields);
      setSubmitError(error);
    } finally {
      setSubmitting(false);
    }
  };

  const text = (key: keyof FormState, props: { placeholder?: string; type?: string } = {}) => (
    <input
      id={`f-${FIELD_OF[key] ?? key}`}
      name={FIELD_OF[key] ?? key}
      type={props.type ?? 'text'}
      value={String(form[key])}
      placeholder={props.placeholder}
      onChange={(e) => set(key, e.target.value as never)}
    />
  );

  return (
    <div className="page page-new">
      <h1>New task</h1>
      <form className="task-form" onSubmit={submit} noValidate>
        <div className="form-main">
          <Card title="Goal">
            <Field
              label="Prompt"
              name="prompt"
              error={errorFor('prompt')}
              hint="What the agent should do, in plain words."
            >
              <textarea
                id="f-prompt"
                name="prompt"
                rows={4}
                value={form.prompt}
                placeholder="Find the price of the blue kettle and whether it is in stock"
                onChange={(e) => set('prompt', e.target.value)}
              />
            </Field>
            <div className="row">
              <Field
                label="Start URL"
                name="url"
                error={errorFor('url')}
                hint="Optional; https:// is added when missing."
              >
                {text('url', { placeholder: 'https://shop.example.com' })}
              </Field>
              <Field
                label="Title"
                name="title"
                error={errorFor('title')}
                hint="Shown in the runs list."
              >
                {text('title', { placeholder: 'Kettle price check' })}
              </Field>
            </div>
          </Card>

          <Card title="Engine">
            <div className="engines" role="radiogroup" aria-label="Engine">
              {ENGINES.map((engine) => (
                <label
                  key={engine.id}
                  className={`engine ${form.engine === engine.id ? 'engine-on' : ''}`}
                >
                  <input
                    type="radio"
                    name="engine"
                    value={engine.id}
                    checked={form.engine === engine.id}
                    onChange={() => set('engine', engine.id)}
                  />
                  <span className="engine-name">
                    {engine.name} <code>{engine.id}</code>
                  </span>
                  <span className="engine-blurb">{engine.blurb}</span>
                </label>
              ))}
            </div>
            <div className="row">
              <Field
                label="Max steps"
                name="max_steps"
                error={errorFor('max_steps')}
                hint="Step budget. Default: 25 for Skyvern 2.0, 10 for the others."
              >
                {text('maxSteps', { placeholder: 'default', type: 'number' })}
              </Field>
              <Field
                label="Model override"
                name="model"
                error={errorFor('model')}
                hint="provider/model for this run only, e.g. openai/gpt-5-mini."
              >
                {text('modelName', { placeholder: 'server default' })}
              </Field>
            </div>
          </Card>

          <Card
            title="Data to extract"
            actions={
              <button
                type="button"
                className="btn btn-small"
                onClick={() => set('schemaText', JSON.stringify(EXAMPLE_SCHEMA, null, 2))}
              >
                Insert example
              </button>
            }
          >
            <Field
              label="JSON Schema (or a description in words)"
              name="data_extraction_schema"
              error={errorFor('data_extraction_schema')}
            >
              <textarea
                id="f-data_extraction_schema"
                className="code"
                rows={8}
                spellCheck={false}
                value={form.schemaText}
                placeholder='{"type": "object", "properties": {"price": {"type": "string"}}}'
                onChange={(e) => set('schemaText', e.target.value)}
              />
            </Field>
            <p className="schema-verdict" data-testid="schema-verdict" data-kind={schema.kind}>
              {schema.kind === 'schema'
                ? '✓ Valid JSON Schema: the run’s output will follow it.'
                : schema.kind === 'text'
                  ? 'Plain text: sent as a description of the data you want.'
                  : schema.kind === 'empty'
                    ? 'Optional. Leave empty to get the agent’s own summary.'
                    : null}
            </p>
          </Card>

          <Card
            title="Error codes"
            actions={
              <button
                type="button"
                className="btn btn-small"
                onClick={() =>
                  set('errorCodes', [...form.errorCodes, { code: '', description: '' }])
                }
              >
                Add code
              </button>
            }
          >
            <p className="hint">
              The run ends with your code in <code>errors</code> when the page matches the
              description.
            </p>
            {form.errorCodes.map((row, i) => (
              <div className="row error-code" key={i.toString()}>
                <input
                  aria-label={`Error code ${i + 1}`}
                  value={row.code}
                  placeholder="out_of_stock"
                  onChange={(e) =>
                    set(
                      'errorCodes',
                      form.errorCodes.map((r, j) => (j === i ? { ...r, code: e.target.value } : r)),
                    )
                  }
                />
                <input
                  aria-label={`Error description ${i + 1}`}
                  value={row.description}
                  placeholder="The product page says it is sold out"
                  onChange={(e) =>
                    set(
                      'errorCodes',
                      form.errorCodes.map((r, j) =>
                        j === i ? { ...r, description: e.target.value } : r,
                      ),
                    )
                  }
                />
                <button
                  type="button"
                  className="btn btn-small btn-ghost"
                  aria-label={`Remove error code ${i + 1}`}
                  onClick={() =>
                    set(
                      'errorCodes',
                      form.errorCodes.filter((_, j) => j !== i),
                    )
                  }
                >
                  ✕
                </button>
              </div>
            ))}
            {errorFor('error_code_mapping') ? (
              <p className="field-msg">{errorFor('error_code_mapping')}</p>
            ) : null}
          </Card>

          <Card title="Login and two-factor codes">
            <div className="row">
              <Field
                label="Stored credential"
                name="credential_id"
                error={errorFor('credential_id')}
              >
                {credentials.unavailable ? (
                  <p className="muted unavailable">
                    Stored credentials are not available on this server.
                  </p>
                ) : (
                  <select
                    id="f-credential_id"
                    value={form.credentialId}
                    onChange={(e) => set('credentialId', e.target.value)}
                  >
                    <option value="">None</option>
                    {(credentials.items ?? []).map((c) => (
                      <option key={c.credential_id} value={c.credential_id}>
                        {c.name}
                        {credentialHint(c)}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <Field
                label="TOTP identifier"
                name="totp_identifier"
                error={errorFor('totp_identifier')}
                hint="Email or phone the codes are pushed for (POST /v1/credentials/totp)."
              >
                {text('totpIdentifier', { placeholder: 'jane@example.com' })}
              </Field>
            </div>
            <Field
              label="TOTP URL"
              name="totp_url"
              error={errorFor('totp_url')}
              hint="Your endpoint Wren polls for a code ({&quot;verification_code&quot;: …})."
            >
              {text('totpUrl', { placeholder: 'https://example.com/wren/totp' })}
            </Field>
          </Card>

          <Card title="Browser and network">
            <div className="row">
              <Field
                label="Browser session"
                name="browser_session_id"
                error={errorFor('browser_session_id')}
              >
                {sessions.unavailable || sessions.items === null ? (
                  <>
                    {text('browserSessionId', { placeholder: 'pbs_…' })}
                    {sessions.unavailable ? (
                      <p className="hint">
                        The browser sessions API is not available on this server.
                      </p>
                    ) : null}
                  </>
                ) : (
                  <select
                    id="f-browser_session_id"
                    value={form.browserSessionId}
                    onChange={(e) => set('browserSessionId', e.target.value)}
                  >
                    <option value="">New browser for this run</option>
                    {sessions.items.map((s) => (
                      <option key={s.browser_session_id} value={s.browser_session_id}>
                        {s.browser_session_id}
                        {s.runnable_id ? ` (busy: ${s.runnable_id})` : ''}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <Field label="Proxy" name="proxy_location" error={errorFor('proxy_location')}>
                <select
                  id="f-proxy_location"
                  value={form.proxyMode}
                  onChange={(e) => set('proxyMode', e.target.value as FormState['proxyMode'])}
                >
                  <option value="none">No proxy</option>
                  <option value="preset">Location preset</option>
                  <option value="geo">Country / region / city</option>
                  <option value="custom">My own proxy URL</option>
                </select>
              </Field>
            </div>
            {form.proxyMode === 'preset' ? (
              <select
                aria-label="Proxy location"
                value={form.proxyPreset}
                onChange={(e) => set('proxyPreset', e.target.value)}
              >
                {PROXY_LOCATIONS.map((p) => (
                  <option key={p}>{p}</option>
                ))}
              </select>
            ) : null}
            {form.proxyMode === 'geo' ? (
              <div className="row">
                <select
                  aria-label="Country"
                  value={form.geoCountry}
                  onChange={(e) => set('geoCountry', e.target.value)}
                >
                  {GEO_COUNTRIES.map((c) => (
                    <option key={c}>{c}</option>
                  ))}
                </select>
                <input
                  aria-label="Subdivision"
                  placeholder="Subdivision (e.g. CA)"
                  value={form.geoSubdivision}
                  onChange={(e) => set('geoSubdivision', e.target.value)}
                />
                <input
                  aria-label="City"
                  placeholder="City"
                  value={form.geoCity}
                  onChange={(e) => set('geoCity', e.target.value)}
                />
              </div>
            ) : null}
            {form.proxyMode === 'custom' ? (
              <input
                aria-label="Proxy URL"
                placeholder="http://user:pass@proxy.example.com:8080"
                value={form.proxyUrl}
                onChange={(e) => set('proxyUrl', e.target.value)}
              />
            ) : null}
            <details className="advanced">
              <summary>Advanced</summary>
              <Field
                label="Browser address (CDP)"
                name="browser_address"
                error={errorFor('browser_address')}
                hint="Drive your own Chrome: http://host:9222 or ws://…/devtools/browser/…"
              >
                {text('browserAddress', { placeholder: 'http://127.0.0.1:9222' })}
              </Field>
              <div className="row">
                <Field
                  label="Extra HTTP headers (JSON)"
                  name="extra_http_headers"
                  error={errorFor('extra_http_headers')}
                >
                  <textarea
                    id="f-extra_http_headers"
                    className="code"
                    rows={2}
                    value={form.extraHeaders}
                    placeholder='{"Accept-Language": "en-US"}'
                    onChange={(e) => set('extraHeaders', e.target.value)}
                  />
                </Field>
                <Field
                  label="CDP connect headers (JSON)"
                  name="cdp_connect_headers"
                  error={errorFor('cdp_connect_headers')}
                >
                  <textarea
                    id="f-cdp_connect_headers"
                    className="code"
                    rows={2}
                    value={form.cdpHeaders}
                    placeholder='{"Authorization": "Bearer …"}'
                    onChange={(e) => set('cdpHeaders', e.target.value)}
                  />
                </Field>
              </div>
              <div className="row">
                <Field
                  label="Max screenshot scrolls"
                  name="max_screenshot_scrolls"
                  error={errorFor('max_screenshot_scrolls')}
                >
                  {text('maxScreenshotScrolls', { placeholder: 'default', type: 'number' })}
                </Field>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={form.includeHistory}
                    onChange={(e) => set('includeHistory', e.target.checked)}
                  />
                  Include the action history when verifying completion
                </label>
              </div>
            </details>
          </Card>

          <Card title="Webhook">
            <Field
              label="Webhook URL"
              name="webhook_url"
              error={errorFor('webhook_url')}
              hint="Wren POSTs the final run here, signed with x-skyvern-signature."
            >
              {text('webhookUrl', { placeholder: 'https://example.com/hooks/wren' })}
            </Field>
          </Card>

          <div className="submit-bar">
            {submitError && !Object.keys(serverErrors).length ? (
              <ErrorNote error={submitError} />
            ) : null}
            {submitError && Object.keys(serverErrors).length ? (
              <p className="error" role="alert">
                The server rejected the task: see the highlighted fields.
              </p>
            ) : null}
            {tried && Object.keys(problems).length ? (
              <p className="error" role="alert">
                Fix the highlighted fields first.
              </p>
            ) : null}
            <button type="submit" className="btn btn-primary" disabled={submitting}>
              {submitting ? 'Starting…' : 'Run task'}
            </button>
          </div>
        </div>

        <aside className="form-side">
          <Card
            title="Same call from code"
            actions={<CopyButton text={snippet} />}
            testId="snippet"
          >
            <div className="tabs" role="tablist">
              {(
                [
                  ['curl', 'curl'],
                  ['ts', 'TypeScript'],
                  ['python', 'Python (Skyvern SDK)'],
                ] as const
              ).map(([id, label]) => (
                <button
                  type="button"
                  key={id}
                  role="tab"
                  aria-selected={tab === id}
                  className={`tab ${tab === id ? 'tab-on' : ''}`}
                  onClick={() => setTab(id)}
                >
                  {label}
                </button>
              ))}
            </div>
            <pre className="snippet" data-testid="snippet-text">
              {snippet}
            </pre>
            <p className="hint">
              <code>$WREN_API_KEY</code> stands for your key; the page never shows it.
            </p>
          </Card>
        </aside>
      </form>
    </div>
  );
}

/**
 * Settings: model configuration status (never the key), the organization and its quotas, and API
 * keys. Every key sees its organization's keys by prefix; an admin key also creates, rotates and
 * revokes them (docs/security.md).
 */
import { type FormEvent, useState } from 'react';
import { api } from '../api';
import { getApiKey, isRemembered, saveApiKey } from '../auth';
import { Card, CopyButton, ErrorNote, formatTime, usePoll } from '../components';

interface ModelSettings {
  configured: boolean;
  provider: string | null;
  model: string | null;
  reason: string | null;
  key_set: boolean;
  roles:
    | { role: string; provider: string; model: string; base_url: string; key_set: boolean }[]
    | null;
}

interface ApiKeyItem {
  id: string;
  prefix: string;
  label: string | null;
  admin: boolean;
  created_at: string;
  revoked_at: string | null;
}

interface CurrentOrganization {
  organization_id: string;
  name: string;
  max_browser_sessions: number;
  max_active_runs: number;
  key_id: string;
  admin: boolean;
}

export function SettingsPage({ onSignOut }: { onSignOut: () => void }) {
  const model = usePoll(
    () => api<ModelSettings>('GET', '/v1/settings/model'),
    'model',
    0,
    () => false,
  );
  const keys = usePoll(
    () => api<ApiKeyItem[]>('GET', '/v1/api_keys'),
    'keys',
    0,
    () => false,
  );
  const org = usePoll(
    () => api<CurrentOrganization>('GET', '/v1/organizations/current'),
    'organization',
    0,
    () => false,
  );
  const [label, setLabel] = useState('');
  const [created, setCreated] = useState<string | null>(null);
  const [createError, setCreateError] = useState<unknown>(null);
  /** The key whose Revoke button was pressed once (the second press revokes). */
  const [confirming, setConfirming] = useState<string | null>(null);
  const current = getApiKey()?.slice(0, 9) ?? '';
  const isAdmin = org.data?.admin === true;
  const currentKeyId = org.data?.key_id ?? null;

  const revoke = async (id: string) => {
    setCreateError(null);
    setConfirming(null);
    try {
      await api('POST', `/v1/api_keys/${encodeURIComponent(id)}/revoke`);
      if (id === currentKeyId) {
        onSignOut();
        return;
      }
      await keys.reload();
    } catch (error) {
      setCreateError(error);
    }
  };

  const rotate = async (id: string) => {
    setCreateError(null);
    try {
      const answer = await api<{ api_key: string }>(
        'POST',
        `/v1/api_keys/${encodeURIComponent(id)}/rotate`,
      );
      // Rotating this browser's own key: keep working with the new one.
      if (id === currentKeyId) saveApiKey(answer.api_key, isRemembered());
      setCreated(answer.api_key);
      await Promise.all([keys.reload(), org.reload()]);
    } catch (error) {
      setCreateError(error);
    }
  };

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setCreateError(null);
    try {
      const answer = await api<{ api_key: string }>('POST', '/v1/api_keys', {
        label: label.trim() || null,
      });
      setCreated(answer.api_key);
      setLabel('');
      await keys.reload();
    } catch (error) {
      setCreateError(error);
    }
  };

  const m = model.data;
  return (
    <div className="page page-settings">
      <h1>Settings</h1>
      <Card title="Model" testId="model-card">
        {model.error ? <ErrorNote error={model.error} what="Model status" /> : null}
        {m ? (
          <>
            <dl className="facts">
              <dt>Status</dt>
              <dd>
                {m.configured ? (
                  <span className="badge badge-completed">ready</span>
                ) : (
                  <span className="badge badge-failed">not configured</span>
                )}
              </dd>
              <dt>Provider</dt>
              <dd className="mono">{m.provider ?? '—'}</dd>
              <dt>Model</dt>
              <dd className="mono" data-testid="model-name">
                {m.model ?? '—'}
              </dd>
              <dt>API key</dt>
              <dd>{m.key_set ? 'set' : m.configured ? 'not needed' : 'not set'}</dd>
            </dl>
            {m.reason ? <p className="banner banner-warn">{m.reason}</p> : null}
            {m.roles ? (
              <table className="table compact">
                <thead>
                  <tr>
                    <th>Role</th>
                    <th>Model</th>
                    <th>Endpoint</th>
                    <th>Key</th>
                  </tr>
                </thead>
                <tbody>
                  {m.roles.map((r) => (
                    <tr key={r.role}>
                      <td>{r.role}</td>
                      <td className="mono small">
                        {r.provider}/{r.model}
                      </td>
                      <td className="mono small">{r.base_url}</td>
                      <td>{r.key_set ? 'set' : '—'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
            <p className="hint">
              Set <code>WREN_MODEL</code> and the provider key in the server’s environment, then
              restart. See docs/models.md.
            </p>
          </>
        ) : null}
      </Card>

      <Card title="Organization" testId="org-card">
        {org.error ? <ErrorNote error={org.error} what="Organization" /> : null}
        {org.data ? (
          <dl className="facts">
            <dt>Name</dt>
            <dd>{org.data.name}</dd>
            <dt>Id</dt>
            <dd className="mono small">{org.data.organization_id}</dd>
            <dt>Browser sessions</dt>
            <dd data-testid="quota-sessions">at most {org.data.max_browser_sessions} at once</dd>
            <dt>Runs</dt>
            <dd>at most {org.data.max_active_runs} unfinished at once</dd>
            <dt>This key</dt>
            <dd data-testid="key-role">{org.data.admin ? 'admin' : 'ordinary'}</dd>
          </dl>
        ) : null}
      </Card>

      <Card title="API keys" testId="keys-card">
        {keys.error ? <ErrorNote error={keys.error} what="Key management" /> : null}
        {created ? (
          <div className="banner banner-ok" data-testid="new-key">
            <p>
              <strong>New key</strong>: copy it now, it is not shown again.
            </p>
            <div className="row">
              <code className="secret">{created}</code>
              <CopyButton text={created} />
              <button
                type="button"
                className="btn btn-small btn-ghost"
                onClick={() => setCreated(null)}
              >
                Done
              </button>
            </div>
          </div>
        ) : null}
        {keys.data ? (
          <table className="table compact" data-testid="keys-table">
            <thead>
              <tr>
                <th>Key</th>
                <th>Label</th>
                <th>Role</th>
                <th>Created</th>
                <th>Status</th>
                {isAdmin ? <th aria-label="Actions" /> : null}
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.id} data-key-id={k.id}>
                  <td className="mono small">
                    {k.prefix}…
                    {k.id === currentKeyId || (!currentKeyId && k.prefix === current) ? (
                      <span className="muted"> (this browser)</span>
                    ) : null}
                  </td>
                  <td>{k.label ?? '—'}</td>
                  <td>{k.admin ? 'admin' : '—'}</td>
                  <td className="small">{formatTime(k.created_at)}</td>
                  <td className="small">
                    {k.revoked_at ? (
                      <span className="badge badge-failed">revoked {formatTime(k.revoked_at)}</span>
                    ) : (
                      <span className="badge badge-completed">active</span>
                    )}
                  </td>
                  {isAdmin ? (
                    <td className="row">
                      {k.revoked_at ? null : (
                        <>
                          <button
                            type="button"
                            className="btn btn-small btn-ghost"
                            onClick={() => void rotate(k.id)}
                          >
                            Rotate
                          </button>
                          {confirming === k.id ? (
                            <button
                              type="button"
                              className="btn btn-small btn-danger"
                              onClick={() => void revoke(k.id)}
                            >
                              Confirm revoke
                            </button>
                          ) : (
                            <button
                              type="button"
                              className="btn btn-small btn-ghost"
                              onClick={() => setConfirming(k.id)}
                            >
                              Revoke
                            </button>
                          )}
                        </>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {!keys.error && isAdmin ? (
          <form className="row keys-form" onSubmit={create}>
            <input
              aria-label="New key label"
              placeholder="Label, e.g. CI"
              value={label}
              onChange={(e) => setLabel(e.target.value)}
            />
            <button type="submit" className="btn">
              Create key
            </button>
          </form>
        ) : null}
        {org.data && !isAdmin ? (
          <p className="hint" data-testid="keys-not-admin">
            Only an admin key can create, rotate or revoke keys. Ask the operator (
            <code>wren keys create --org {org.data.name}</code>).
          </p>
        ) : null}
        {createError ? <ErrorNote error={createError} /> : null}
      </Card>

      <Card title="This browser">
        <p>
          Signed in with a key starting <code>{current}</code>. It is kept in this browser only.
        </p>
        <button type="button" className="btn" onClick={onSignOut}>
          Sign out
        </button>
      </Card>
    </div>
  );
}

/** Sign-in with an API key; the key is checked against the API and kept in this browser only. */
import { type FormEvent, useState } from 'react';
import { ApiError, client, unwrap } from '../api';
import { saveApiKey } from '../auth';

export function SignInPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [key, setKey] = useState('');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = key.trim();
    if (!trimmed) return setError('Enter an API key.');
    setBusy(true);
    setError(null);
    try {
      await unwrap(
        client.GET('/v1/runs', {
          params: { query: { page_size: 1 } },
          headers: { 'x-api-key': trimmed },
        }),
      );
      saveApiKey(trimmed, remember);
      onSignedIn();
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 403
          ? 'This key was not accepted. Check it and try again.'
          : `Could not reach the server: ${e instanceof Error ? e.message : String(e)}`,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="signin">
      <form className="signin-card" onSubmit={submit}>
        <div className="brand brand-large">
          <span className="logo" aria-hidden="true" />
          Wren
        </div>
        <p className="muted">Sign in with an API key to run and inspect browser tasks.</p>
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="current-password"
          placeholder="wren_…"
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        <label className="check">
          <input
            type="checkbox"
            checked={remember}
            onChange={(e) => setRemember(e.target.checked)}
          />
          Remember on this computer
        </label>
        {error ? (
          <p className="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        <p className="hint">
          The first <code>wren server</code> start prints a key and saves it to{' '}
          <code>.wren/api-key</code>; <code>wren keys create</code> makes another.
        </p>
      </form>
    </div>
  );
}

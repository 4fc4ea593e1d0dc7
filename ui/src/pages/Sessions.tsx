/** Browser sessions (Skyvern's browser sessions API, docs/sessions.md): list active ones, create, close, watch live. */
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { ApiError, client, unwrap } from '../api';
import {
  Card,
  ErrorNote,
  formatTime,
  keepWhileSame,
  pollWhile,
  StatusBadge,
  Unavailable,
} from '../components';
import { LiveView } from '../live-view';

export function SessionsPage() {
  const list = useQuery({
    queryKey: ['sessions'],
    queryFn: () => unwrap(client.GET('/v1/browser_sessions')),
    placeholderData: keepWhileSame('sessions'),
    refetchInterval: pollWhile(3000, (value) => value !== null),
  });
  const [timeout, setTimeoutMinutes] = useState('60');
  const [url, setUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<unknown>(null);
  const [watching, setWatching] = useState<string | null>(null);

  const unavailable = list.error instanceof ApiError && list.error.unavailable;

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setActionError(null);
    try {
      const created = await unwrap(
        client.POST('/v1/browser_sessions', {
          body: { timeout: Number(timeout), ...(url.trim() ? { url: url.trim() } : {}) },
        }),
      );
      setWatching(created.browser_session_id);
      await list.refetch();
    } catch (error) {
      setActionError(error);
    } finally {
      setBusy(false);
    }
  };

  const close = async (id: string) => {
    setActionError(null);
    try {
      await unwrap(
        client.POST('/v1/browser_sessions/{browser_session_id}/close', {
          params: { path: { browser_session_id: id } },
        }),
      );
      if (watching === id) setWatching(null);
      await list.refetch();
    } catch (error) {
      setActionError(error);
    }
  };

  return (
    <div className="page page-sessions">
      <div className="page-head">
        <h1>Browser sessions</h1>
      </div>
      <p className="muted intro">
        A session keeps one browser alive between runs (cookies, tabs, logins). Pass its id as
        <code> browser_session_id</code> to run tasks in it one after another.
      </p>
      {unavailable ? (
        <Card title="Sessions">
          <Unavailable what="The browser sessions API" />
        </Card>
      ) : (
        <>
          <Card title="New session">
            <form className="row session-form" onSubmit={create}>
              <label className="field">
                <span>Timeout (minutes)</span>
                <input
                  type="number"
                  min={5}
                  max={240}
                  value={timeout}
                  onChange={(e) => setTimeoutMinutes(e.target.value)}
                />
              </label>
              <label className="field grow">
                <span>Open URL (optional)</span>
                <input
                  value={url}
                  placeholder="https://example.com"
                  onChange={(e) => setUrl(e.target.value)}
                />
              </label>
              <button type="submit" className="btn btn-primary" disabled={busy}>
                {busy ? 'Starting…' : 'Start session'}
              </button>
            </form>
            {actionError ? <ErrorNote error={actionError} what="This action" /> : null}
          </Card>
          <Card title="Active sessions" testId="sessions-card">
            {list.error ? <ErrorNote error={list.error} /> : null}
            {list.data && list.data.length === 0 ? (
              <p className="muted">No active sessions.</p>
            ) : null}
            {list.data?.length ? (
              <table className="table" data-testid="sessions-table">
                <thead>
                  <tr>
                    <th>Session</th>
                    <th>Status</th>
                    <th>In use by</th>
                    <th>Started</th>
                    <th>Timeout</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {list.data.map((s) => (
                    <tr key={s.browser_session_id} data-session-id={s.browser_session_id}>
                      <td className="mono small">{s.browser_session_id}</td>
                      <td>{s.status ? <StatusBadge status={s.status} /> : '—'}</td>
                      <td className="mono small">{s.runnable_id ?? '—'}</td>
                      <td className="small">{formatTime(s.started_at ?? s.created_at)}</td>
                      <td className="small">{s.timeout ? `${s.timeout} min` : '—'}</td>
                      <td className="right">
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => setWatching(s.browser_session_id)}
                        >
                          Live view
                        </button>{' '}
                        <button
                          type="button"
                          className="btn btn-small btn-danger"
                          onClick={() => close(s.browser_session_id)}
                        >
                          Close
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </Card>
          {watching ? (
            <Card
              title={`Live view · ${watching}`}
              actions={
                <button type="button" className="btn btn-small" onClick={() => setWatching(null)}>
                  Hide
                </button>
              }
            >
              <LiveView path={`/v1/browser_sessions/${watching}/live`} />
            </Card>
          ) : null}
        </>
      )}
    </div>
  );
}

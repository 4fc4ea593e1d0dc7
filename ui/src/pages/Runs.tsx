/** Runs: newest first, status filters, search, pagination, live refresh. */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ENGINE_BY_RUN_TYPE, type RunType } from '../../../src/contract/enums';
import { client, RUN_STATUSES, type RunStatus, unwrap } from '../api';
import {
  duration,
  ErrorNote,
  keepWhileSame,
  pollWhile,
  relativeTime,
  StatusBadge,
} from '../components';
import { Link, navigate, useLocation } from '../router';

const PAGE_SIZE = 20;

export function RunsPage() {
  const { query } = useLocation();
  const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
  const statuses = query.getAll('status');
  const search = query.get('q') ?? '';
  const [searchText, setSearchText] = useState(search);
  const [live, setLive] = useState(true);

  const setQuery = (changes: { page?: number; statuses?: string[]; q?: string }) => {
    const next = new URLSearchParams();
    const p = changes.page ?? 1;
    if (p > 1) next.set('page', String(p));
    for (const s of changes.statuses ?? statuses) next.append('status', s);
    const q = changes.q ?? search;
    if (q) next.set('q', q);
    const qs = next.toString();
    navigate(qs ? `/runs?${qs}` : '/runs');
  };

  // Search as you type, after a short pause; the API needs at least 3 characters.
  useEffect(() => {
    const trimmed = searchText.trim();
    if (trimmed === search || (trimmed.length > 0 && trimmed.length < 3)) return;
    const timer = setTimeout(() => setQuery({ q: trimmed }), 300);
    return () => clearTimeout(timer);
  });

  const params = new URLSearchParams({ page: String(page), page_size: String(PAGE_SIZE) });
  for (const s of statuses) params.append('status', s);
  if (search.length >= 3) params.set('search_key', search);
  const key = params.toString();
  const {
    data,
    error,
    isPending: loading,
  } = useQuery({
    queryKey: [key, String(live)],
    queryFn: () =>
      unwrap(
        client.GET('/v1/runs', {
          params: {
            query: {
              page,
              page_size: PAGE_SIZE,
              ...(statuses.length ? { status: statuses as RunStatus[] } : {}),
              ...(search.length >= 3 ? { search_key: search } : {}),
            },
          },
        }),
      ),
    placeholderData: keepWhileSame(key),
    refetchInterval: pollWhile(2000, () => live),
  });
  const now = Date.now();

  const toggleStatus = (status: string) =>
    setQuery({
      statuses: statuses.includes(status)
        ? statuses.filter((s) => s !== status)
        : [...statuses, status],
    });

  return (
    <div className="page page-runs">
      <div className="page-head">
        <h1>Runs</h1>
        <div className="page-head-actions">
          <label className="check live-toggle">
            <input type="checkbox" checked={live} onChange={(e) => setLive(e.target.checked)} />
            Live refresh
          </label>
          <Link to="/tasks/new" className="btn btn-primary">
            New task
          </Link>
        </div>
      </div>

      <div className="filters">
        <input
          type="search"
          className="search"
          aria-label="Search runs"
          placeholder="Search id, title or prompt (3+ characters)"
          value={searchText}
          onChange={(e) => setSearchText(e.target.value)}
        />
        <fieldset className="chips" aria-label="Filter by status">
          {RUN_STATUSES.filter((s) => s !== 'created').map((s) => (
            <button
              type="button"
              key={s}
              className={`chip ${statuses.includes(s) ? 'chip-on' : ''}`}
              aria-pressed={statuses.includes(s)}
              onClick={() => toggleStatus(s)}
            >
              {s.replace('_', ' ')}
            </button>
          ))}
          {statuses.length ? (
            <button
              type="button"
              className="chip chip-clear"
              onClick={() => setQuery({ statuses: [] })}
            >
              clear
            </button>
          ) : null}
        </fieldset>
      </div>

      {error ? <ErrorNote error={error} /> : null}
      <table className="table runs-table" data-testid="runs-table">
        <thead>
          <tr>
            <th>Status</th>
            <th>Run</th>
            <th>Engine</th>
            <th className="num">Steps</th>
            <th>Created</th>
            <th>Duration</th>
          </tr>
        </thead>
        <tbody>
          {(data ?? []).map((run) => (
            <tr
              key={run.run_id}
              className="clickable"
              data-run-id={run.run_id}
              onClick={() => navigate(`/runs/${run.run_id}`)}
            >
              <td>
                <StatusBadge status={run.status} />
              </td>
              <td>
                <Link to={`/runs/${run.run_id}`} className="run-title">
                  {run.title || run.run_id}
                </Link>
                {run.title ? <div className="muted mono small">{run.run_id}</div> : null}
              </td>
              <td className="mono small">
                {/* The list reports run types; people pick engines. */}
                {ENGINE_BY_RUN_TYPE[run.task_run_type as RunType] ?? run.task_run_type}
              </td>
              <td className="num">{run.step_count ?? '—'}</td>
              <td title={run.created_at}>{relativeTime(run.created_at, now)}</td>
              <td>{run.started_at ? duration(run.started_at, run.finished_at) : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {!loading && data && data.length === 0 ? (
        <div className="empty">
          {statuses.length || search ? (
            <p>No runs match these filters.</p>
          ) : (
            <p>
              No runs yet. <Link to="/tasks/new">Start your first task</Link>.
            </p>
          )}
        </div>
      ) : null}

      <div className="pager">
        <button
          type="button"
          className="btn"
          disabled={page <= 1}
          onClick={() => setQuery({ page: page - 1 })}
        >
          ← Newer
        </button>
        <span className="muted">Page {page}</span>
        <button
          type="button"
          className="btn"
          disabled={!data || data.length < PAGE_SIZE || page >= 100}
          onClick={() => setQuery({ page: page + 1 })}
        >
          Older →
        </button>
      </div>
    </div>
  );
}

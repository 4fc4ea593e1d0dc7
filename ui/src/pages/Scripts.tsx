/**
 * Code mode's scripts (docs/code-mode.md): each compiled task with its replay, hit (no model call)
 * and heal counts; a script's latest revision as TypeScript with a copy button.
 */
import { useQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { client, unwrap } from '../api';
import { Card, ErrorNote, formatTime } from '../components';

function Source({ scriptId, revision }: { scriptId: string; revision: number }) {
  const rev = useQuery({
    queryKey: ['script-revision', scriptId, revision],
    queryFn: () =>
      unwrap(
        client.GET('/v1/scripts/{script_id}/revisions/{revision}', {
          params: { path: { script_id: scriptId, revision } },
        }),
      ),
  });
  const [copied, setCopied] = useState(false);
  if (rev.error) return <ErrorNote error={rev.error} />;
  if (!rev.data) return <p className="muted">Loading…</p>;
  const copy = async () => {
    await navigator.clipboard.writeText(rev.data.source);
    setCopied(true);
  };
  return (
    <div className="script-source" data-testid="script-source">
      <button type="button" className="btn btn-small" onClick={copy}>
        {copied ? 'Copied' : 'Copy'}
      </button>
      <pre>
        <code>{rev.data.source}</code>
      </pre>
    </div>
  );
}

export function ScriptsPage() {
  const list = useQuery({
    queryKey: ['scripts'],
    queryFn: () => unwrap(client.GET('/v1/scripts', { params: { query: { page_size: 100 } } })),
  });
  const [open, setOpen] = useState<string | null>(null);
  return (
    <div className="page page-scripts">
      <div className="page-head">
        <h1>Scripts</h1>
      </div>
      <p className="muted intro">
        Runs with <code>run_with: "code"</code> compile into scripts; later runs of the same task
        replay them with no model call and heal broken steps (a hit is a replay without the model).
      </p>
      <Card title="Compiled tasks">
        {list.error ? (
          <ErrorNote error={list.error} what="The scripts API" />
        ) : !list.data ? (
          <p className="muted">Loading…</p>
        ) : list.data.length === 0 ? (
          <p className="muted">No scripts yet.</p>
        ) : (
          <table className="table" data-testid="scripts-table">
            <thead>
              <tr>
                <th>Task</th>
                <th>Engine</th>
                <th>Revision</th>
                <th>Replays</th>
                <th>Hits</th>
                <th>Heals</th>
                <th>Failures</th>
                <th>Updated</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((s) => (
                <Fragment key={s.script_id}>
                  <tr
                    className="clickable"
                    onClick={() => setOpen(open === s.script_id ? null : s.script_id)}
                  >
                    <td title={s.url_pattern}>{s.prompt_template}</td>
                    <td>{s.engine}</td>
                    <td>
                      {s.pinned_revision ?? s.latest_revision}
                      {s.pinned_revision ? ' (pinned)' : ''}
                    </td>
                    <td>{s.replays}</td>
                    <td>{s.hits}</td>
                    <td>{s.heals}</td>
                    <td>{s.failures}</td>
                    <td>{formatTime(s.modified_at)}</td>
                  </tr>
                  {open === s.script_id ? (
                    <tr>
                      <td colSpan={8}>
                        <Source
                          scriptId={s.script_id}
                          revision={s.pinned_revision ?? s.latest_revision}
                        />
                      </td>
                    </tr>
                  ) : null}
                </Fragment>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}

/** One run's story: status, timing, prompt, output, errors, steps, media, files, webhooks. */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import {
  ApiError,
  CANCELABLE,
  client,
  type Run,
  TERMINAL,
  unwrap,
  type WebhookReplay,
} from '../api';
import {
  AuthImage,
  AuthVideo,
  Card,
  DownloadLink,
  duration,
  ErrorNote,
  formatBytes,
  formatCost,
  formatTime,
  JsonBlock,
  keepWhileSame,
  pollWhile,
  StatusBadge,
  Unavailable,
} from '../components';
import { LiveView } from '../live-view';
import { Link } from '../router';
import { Timeline } from '../timeline';

const isActive = (run: Run | null) => !run || !TERMINAL.includes(run.status);

export function RunPage({ runId }: { runId: string }) {
  const runPoll = useQuery({
    queryKey: [runId],
    queryFn: () => unwrap(client.GET('/v1/runs/{run_id}', { params: { path: { run_id: runId } } })),
    placeholderData: keepWhileSame(runId),
    refetchInterval: pollWhile<Run>(1500, isActive),
  });
  const run = runPoll.data ?? null;
  const active = isActive(run);
  // Secondary resources refresh while the run is active and once more when it ends.
  const stamp = run ? `${run.status}:${run.step_count ?? 0}:${run.modified_at}` : '';
  const [canceling, setCanceling] = useState(false);
  const [cancelError, setCancelError] = useState<unknown>(null);

  if (runPoll.error && !run) {
    const notFound = runPoll.error instanceof ApiError && runPoll.error.status === 404;
    return (
      <div className="page">
        <p className="crumbs">
          <Link to="/runs">← Runs</Link>
        </p>
        <h1>{notFound ? 'Run not found' : 'Could not load the run'}</h1>
        <ErrorNote error={runPoll.error} />
      </div>
    );
  }
  if (!run) return <div className="page muted">Loading…</div>;

  const request = run.run_request;
  const prompt = request?.prompt ?? '';
  const title = request?.title || null;
  const webhookUrl = request?.webhook_url ?? null;
  const startUrl = request?.url ?? null;
  const cancel = async () => {
    setCanceling(true);
    setCancelError(null);
    try {
      await unwrap(
        client.POST('/v1/runs/{run_id}/cancel', { params: { path: { run_id: run.run_id } } }),
      );
      await runPoll.refetch();
    } catch (error) {
      setCancelError(error);
    } finally {
      setCanceling(false);
    }
  };
  const lastScreenshot = run.screenshot_urls?.length ? run.screenshot_urls[0] : null;

  return (
    <div className="page page-run" data-testid="run-page" data-status={run.status}>
      <p className="crumbs">
        <Link to="/runs">← Runs</Link>
      </p>
      <div className="page-head">
        <div>
          <h1 className="run-heading">
            {title ?? (prompt.length > 80 ? `${prompt.slice(0, 80)}…` : prompt || run.run_id)}
          </h1>
          <div className="run-meta">
            <StatusBadge status={run.status} />
            <span className="mono small">{run.run_id}</span>
            <span className="muted small">
              {request?.engine ?? run.run_type}
              {active ? ' · updating live' : ''}
            </span>
          </div>
        </div>
        <div className="page-head-actions">
          {CANCELABLE.includes(run.status) ? (
            <button type="button" className="btn btn-danger" onClick={cancel} disabled={canceling}>
              {canceling ? 'Canceling…' : 'Cancel run'}
            </button>
          ) : null}
          <Link to="/tasks/new" className="btn">
            New task
          </Link>
        </div>
      </div>
      {cancelError ? <ErrorNote error={cancelError} /> : null}

      {run.failure_reason ? (
        <div className="banner banner-error" data-testid="failure-reason">
          <strong>{run.status === 'terminated' ? 'Terminated' : 'Failed'}:</strong>{' '}
          {run.failure_reason}
        </div>
      ) : null}

      <div className="run-grid">
        <div className="run-main">
          {active ? (
            <Card title="Live view" testId="live-card">
              <LiveView
                path={`/v1/runs/${run.run_id}/live`}
                fallback={
                  lastScreenshot ? (
                    <AuthImage
                      src={lastScreenshot}
                      alt="Latest screenshot"
                      className="shot-large"
                    />
                  ) : null
                }
              />
            </Card>
          ) : null}

          <Card
            title="Output"
            testId="output-card"
            actions={run.output !== null ? <span className="muted small">JSON</span> : null}
          >
            {run.output !== null && run.output !== undefined ? (
              <JsonBlock value={run.output} testId="run-output" />
            ) : (
              <p className="muted">
                {active ? 'The output appears when the run finishes.' : 'No output.'}
              </p>
            )}
          </Card>

          {run.errors?.length ? (
            <Card title="Errors" testId="errors-card">
              <table className="table">
                <thead>
                  <tr>
                    <th>Code</th>
                    <th>Type</th>
                    <th>Reasoning</th>
                  </tr>
                </thead>
                <tbody>
                  {run.errors.map((e, i) => (
                    <tr key={i.toString()}>
                      <td className="mono">{String(e['error_code'] ?? '—')}</td>
                      <td className="small">{String(e['error_type'] ?? '')}</td>
                      <td>{String(e['reasoning'] ?? JSON.stringify(e))}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Card>
          ) : null}

          {!active && (run.script_run || run.run_request?.run_with === 'code') ? (
            <RunScript runId={run.run_id} scriptRun={run.script_run ?? null} />
          ) : null}

          <Card
            title={`Steps${run.step_count ? ` (${run.step_count})` : ''}`}
            testId="timeline-card"
          >
            <Timeline runId={run.run_id} stamp={stamp} active={active} />
          </Card>

          <Card title="Recording">
            {run.recording_url ? (
              <AuthVideo src={run.recording_url} />
            ) : (
              <p className="muted">
                {active
                  ? 'The recording is available when the run ends.'
                  : 'No recording for this run.'}
              </p>
            )}
          </Card>

          {run.screenshot_urls?.length ? (
            <Card title="Screenshots">
              <div className="shots">
                {run.screenshot_urls.map((url, i) => (
                  <AuthImage key={url} src={url} alt={`Screenshot ${i + 1}`} className="shot" />
                ))}
              </div>
            </Card>
          ) : null}
        </div>

        <div className="run-side">
          <Card title="Timing">
            <dl className="facts">
              <dt>Created</dt>
              <dd>{formatTime(run.created_at)}</dd>
              <dt>Started</dt>
              <dd>{formatTime(run.started_at)}</dd>
              <dt>Finished</dt>
              <dd>{formatTime(run.finished_at)}</dd>
              <dt>Queued for</dt>
              <dd>{duration(run.queued_at, run.started_at ?? run.finished_at)}</dd>
              <dt>Ran for</dt>
              <dd data-testid="run-duration">{duration(run.started_at, run.finished_at)}</dd>
            </dl>
          </Card>
          <Card title="Usage">
            <dl className="facts">
              <dt>Steps</dt>
              <dd>{run.step_count ?? 0}</dd>
              <dt>Tokens in / out</dt>
              <dd>
                {run.usage
                  ? `${run.usage.input_tokens.toLocaleString()} / ${run.usage.output_tokens.toLocaleString()}`
                  : '—'}
              </dd>
              <dt>Cost</dt>
              <dd>{formatCost(run.usage?.cost_usd)}</dd>
            </dl>
          </Card>
          <Card title="Prompt">
            <p className="prompt" data-testid="run-prompt">
              {prompt}
            </p>
            {startUrl ? (
              <p className="small">
                Start: <span className="mono">{startUrl}</span>
              </p>
            ) : null}
            <details>
              <summary>Full request</summary>
              <JsonBlock value={request} />
            </details>
          </Card>
          <Downloads run={run} />
          <Artifacts runId={run.run_id} stamp={stamp} />
          <Webhooks runId={run.run_id} webhookUrl={webhookUrl} stamp={stamp} terminal={!active} />
        </div>
      </div>
    </div>
  );
}

function Downloads({ run }: { run: Run }) {
  return (
    <Card title="Downloaded files">
      {run.downloaded_files?.length ? (
        <ul className="files">
          {run.downloaded_files.map((f, i) => {
            const name = f.filename ?? `file-${i + 1}`;
            return (
              <li key={f.url}>
                <DownloadLink href={f.url} filename={name} />
                <span className="muted small"> {formatBytes(f.file_size)}</span>
              </li>
            );
          })}
        </ul>
      ) : (
        <p className="muted">No files downloaded.</p>
      )}
    </Card>
  );
}

/** Code mode (docs/code-mode.md): the script this run compiled, healed or replayed, to copy. */
function RunScript(props: {
  runId: string;
  scriptRun: {
    script_id?: string | null;
    script_revision_id?: string | null;
    ai_fallback_triggered?: boolean;
  } | null;
}) {
  const { data } = useQuery({
    queryKey: [`${props.runId}/script`],
    queryFn: () =>
      unwrap(client.GET('/v1/runs/{run_id}/script', { params: { path: { run_id: props.runId } } })),
    retry: false,
  });
  const [copied, setCopied] = useState(false);
  if (!data) return null; // a run without a script (404) shows nothing
  const copy = async () => {
    await navigator.clipboard.writeText(data.source);
    setCopied(true);
  };
  return (
    <Card
      title={`Script (revision ${data.revision})`}
      testId="script-card"
      actions={
        <button type="button" className="btn btn-small" onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      }
    >
      {props.scriptRun ? (
        <p className="muted small">
          {data.run_id === props.runId &&
          data.script_revision_id === props.scriptRun.script_revision_id
            ? 'Compiled from this run.'
            : `Replayed ${props.scriptRun.ai_fallback_triggered ? 'with' : 'without'} the AI fallback.`}
        </p>
      ) : null}
      <pre className="script-source">
        <code>{data.source}</code>
      </pre>
    </Card>
  );
}

function Artifacts({ runId, stamp }: { runId: string; stamp: string }) {
  const { data, error } = useQuery({
    queryKey: [`${runId}/artifacts`, stamp],
    queryFn: () =>
      unwrap(client.GET('/v1/runs/{run_id}/artifacts', { params: { path: { run_id: runId } } })),
    placeholderData: keepWhileSame(`${runId}/artifacts`),
  });
  return (
    <Card title="Artifacts">
      {error ? (
        <ErrorNote error={error} what="The artifact list" />
      ) : !data ? (
        <p className="muted">Loading…</p>
      ) : data.length === 0 ? (
        <p className="muted">No artifacts yet.</p>
      ) : (
        <ul className="files">
          {data.map((a) => (
            <li key={a.artifact_id}>
              <DownloadLink
                href={a.signed_url ?? `/v1/artifacts/${a.artifact_id}/content`}
                filename={a.filename ?? `${a.artifact_type}-${a.artifact_id}`}
              />
              <span className="muted small">
                {' '}
                {a.artifact_type.replaceAll('_', ' ')} · {formatBytes(a.file_size)}
              </span>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

function Webhooks(props: {
  runId: string;
  webhookUrl: string | null;
  stamp: string;
  terminal: boolean;
}) {
  const { runId, webhookUrl } = props;
  const deliveries = useQuery({
    queryKey: [`${runId}/webhook_deliveries`, props.stamp],
    queryFn: () =>
      unwrap(
        client.GET('/v1/runs/{run_id}/webhook_deliveries', {
          params: { path: { run_id: runId } },
        }),
      ),
    placeholderData: keepWhileSame(`${runId}/webhook_deliveries`),
  });
  const [retrying, setRetrying] = useState(false);
  const [replay, setReplay] = useState<WebhookReplay | null>(null);
  const [retryError, setRetryError] = useState<unknown>(null);
  const attempts = deliveries.data?.attempts ?? [];
  const pending = (deliveries.data?.deliveries ?? []).filter((d) => d.state === 'pending');

  const retry = async () => {
    setRetrying(true);
    setRetryError(null);
    try {
      setReplay(
        await unwrap(
          client.POST('/v1/runs/{run_id}/retry_webhook', {
            params: { path: { run_id: runId } },
            body: {},
          }),
        ),
      );
      await deliveries.refetch();
    } catch (error) {
      setRetryError(error);
    } finally {
      setRetrying(false);
    }
  };

  return (
    <Card
      title="Webhook"
      actions={
        webhookUrl && props.terminal ? (
          <button type="button" className="btn btn-small" onClick={retry} disabled={retrying}>
            {retrying ? 'Sending…' : 'Retry webhook'}
          </button>
        ) : null
      }
    >
      {webhookUrl ? (
        <p className="small mono wrap" data-testid="webhook-url">
          {webhookUrl}
        </p>
      ) : (
        <p className="muted">No webhook for this run.</p>
      )}
      {retryError ? <ErrorNote error={retryError} what="Webhook retry" /> : null}
      {replay ? (
        <p className="small" data-testid="webhook-replay">
          Retry: {replay.error ? `failed (${replay.error})` : `HTTP ${replay.status_code ?? '?'}`}
          {replay.latency_ms !== null && replay.latency_ms !== undefined
            ? ` in ${replay.latency_ms} ms`
            : ''}
        </p>
      ) : null}
      {webhookUrl ? (
        deliveries.error ? (
          deliveries.error instanceof ApiError && deliveries.error.unavailable ? (
            <Unavailable what="The delivery log" />
          ) : (
            <ErrorNote error={deliveries.error} />
          )
        ) : attempts.length ? (
          <table className="table compact" data-testid="webhook-attempts">
            <thead>
              <tr>
                <th>When</th>
                <th>Result</th>
                <th className="num">Time</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((a) => (
                <tr key={`${a.attempt}-${a.started_at}`}>
                  <td className="small">{formatTime(a.started_at)}</td>
                  <td className="small">
                    {a.error ? (
                      <span className="error-text">{a.error}</span>
                    ) : (
                      `HTTP ${a.status_code ?? '—'}`
                    )}
                    <span className="muted">
                      {' '}
                      · {a.kind}
                      {a.will_retry ? ' · will retry' : ''}
                    </span>
                  </td>
                  <td className="num small">
                    {a.latency_ms !== null ? `${a.latency_ms} ms` : '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : deliveries.data ? (
          <p className="muted small">
            {pending.length ? 'Delivery pending.' : 'No deliveries yet.'}
          </p>
        ) : null
      ) : null}
    </Card>
  );
}

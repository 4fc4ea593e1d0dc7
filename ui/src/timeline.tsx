/**
 * The step timeline of a run from GET /v1/runs/{id}/timeline (shapes: timeline-model.ts). Unknown
 * fields stay visible under "Raw".
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { client, needsKey, unwrap } from './api';
import {
  AuthImage,
  ErrorNote,
  formatCost,
  formatTime,
  JsonBlock,
  keepWhileSame,
  StatusBadge,
} from './components';
import { normalizeStep, type StepView, timelineItems } from './timeline-model';

export function Timeline(props: { runId: string; stamp: string; active: boolean }) {
  const { data, error } = useQuery({
    queryKey: [`${props.runId}/timeline`, props.stamp],
    queryFn: () =>
      unwrap(
        client.GET('/v1/runs/{run_id}/timeline', { params: { path: { run_id: props.runId } } }),
      ),
    placeholderData: keepWhileSame(`${props.runId}/timeline`),
  });
  if (error) return <ErrorNote error={error} what="The step timeline" />;
  if (data === undefined) return <p className="muted">Loading…</p>;
  const list = timelineItems(data).map((s, i) => normalizeStep(s, i));
  if (!list.length)
    return (
      <p className="muted">
        {props.active ? 'Steps appear here as the agent works.' : 'No steps were recorded.'}
      </p>
    );
  return (
    <ol className="timeline" data-testid="timeline">
      {list.map((s) => (
        <StepItem key={s.key} step={s} />
      ))}
    </ol>
  );
}

function StepItem({ step }: { step: StepView }) {
  const [raw, setRaw] = useState(false);
  const [viewing, setViewing] = useState<string | null>(null);
  const tokens =
    step.inputTokens !== null || step.outputTokens !== null
      ? `${(step.inputTokens ?? 0).toLocaleString()} in / ${(step.outputTokens ?? 0).toLocaleString()} out`
      : null;
  return (
    <li className="step" data-testid="step">
      <div className="step-head">
        <span className="step-index">{step.index !== null ? step.index + 1 : '•'}</span>
        <span className="step-title">{step.title}</span>
        {step.status ? <StatusBadge status={step.status} /> : null}
        <span className="step-meta muted small">
          {[
            tokens,
            step.cost !== null ? formatCost(step.cost) : null,
            step.createdAt ? formatTime(step.createdAt) : null,
          ]
            .filter(Boolean)
            .join(' · ')}
        </span>
      </div>
      <div className="step-body">
        {step.screenshots.length ? (
          <div className="step-shots">
            {step.screenshots.map((src, i) => (
              <button
                type="button"
                key={src}
                className="step-shot-link"
                data-testid="step-shot"
                title="Show full size"
                onClick={() => setViewing(src)}
              >
                <AuthImage src={src} alt={`Step screenshot ${i + 1}`} className="step-shot" />
              </button>
            ))}
          </div>
        ) : null}
        <div className="step-text">
          {step.reasoning ? <p className="reasoning">{step.reasoning}</p> : null}
          {step.actions.length ? (
            <ul className="actions">
              {step.actions.map((a, i) => (
                <li key={i.toString()} className={a.ok === false ? 'action-failed' : ''}>
                  <span className="action-type">{a.type}</span>
                  {a.reasoning ? <span className="action-reason"> {a.reasoning}</span> : null}
                  {a.result ? (
                    <span className={`action-result ${a.ok === false ? 'error-text' : 'muted'}`}>
                      {' '}
                      → {a.result}
                    </span>
                  ) : null}
                </li>
              ))}
            </ul>
          ) : null}
          {step.modelCalls.length ? (
            <ul className="model-calls muted small">
              {step.modelCalls.map((c, i) => (
                <li key={i.toString()}>
                  {[
                    c.role,
                    c.model,
                    c.inputTokens !== null
                      ? `${c.inputTokens.toLocaleString()} in / ${(c.outputTokens ?? 0).toLocaleString()} out`
                      : null,
                    c.cost !== null ? formatCost(c.cost) : null,
                    c.durationMs !== null ? `${c.durationMs} ms` : null,
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                </li>
              ))}
            </ul>
          ) : null}
          <button type="button" className="linklike small" onClick={() => setRaw(!raw)}>
            {raw ? 'Hide raw' : 'Raw'}
          </button>
          {raw ? <JsonBlock value={step.raw} /> : null}
        </div>
      </div>
      {viewing ? (
        <ScreenshotViewer
          src={viewing}
          title={`${step.title} · screenshot ${step.screenshots.indexOf(viewing) + 1} of ${step.screenshots.length}`}
          onClose={() => setViewing(null)}
        />
      ) : null}
      {step.children.length ? (
        <ol className="timeline nested">
          {step.children.map((c) => (
            <StepItem key={c.key} step={c} />
          ))}
        </ol>
      ) : null}
    </li>
  );
}

/** A step screenshot at full size in a modal dialog; Escape or the Close button closes it. */
function ScreenshotViewer(props: { src: string; title: string; onClose: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      className="shot-viewer"
      aria-label={props.title}
      data-testid="shot-viewer"
      onClose={props.onClose}
    >
      <div className="shot-viewer-head">
        <span className="small">{props.title}</span>
        {needsKey(props.src) ? null : (
          <a href={props.src} target="_blank" rel="noreferrer" className="small">
            Open in a new tab
          </a>
        )}
        <button type="button" className="btn btn-small" onClick={() => ref.current?.close()}>
          Close
        </button>
      </div>
      <AuthImage src={props.src} alt={props.title} className="shot-full" />
    </dialog>
  );
}

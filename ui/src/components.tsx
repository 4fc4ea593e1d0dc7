/** Small building blocks shared by the pages. */

import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { ApiError, authorizedObjectUrl, needsKey } from './api';

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge badge-${status}`} data-status={status}>
      {status.replace('_', ' ')}
    </span>
  );
}

export function Card(props: {
  title: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <section className="card" data-testid={props.testId}>
      <header className="card-head">
        <h2>{props.title}</h2>
        {props.actions ? <div className="card-actions">{props.actions}</div> : null}
      </header>
      <div className="card-body">{props.children}</div>
    </section>
  );
}

/** The "this server does not have that endpoint yet" note. */
export function Unavailable({ what }: { what: string }) {
  return (
    <p className="muted unavailable" data-testid="unavailable">
      {what} is not available on this server.
    </p>
  );
}

/** Shows an error; a missing endpoint becomes the gentle "not available" note. */
export function ErrorNote({ error, what }: { error: unknown; what?: string }) {
  if (error instanceof ApiError && error.unavailable) return <Unavailable what={what ?? 'This'} />;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p className="error" role="alert">
      {message}
    </p>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Clipboard API needs a secure context; fall back to a hidden textarea.
      const area = document.createElement('textarea');
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 1200);
  };
  return (
    <button type="button" className="btn btn-small" onClick={copy}>
      {done ? 'Copied' : label}
    </button>
  );
}

export function JsonBlock({ value, testId }: { value: unknown; testId?: string }) {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return (
    <div className="json">
      <div className="json-copy">
        <CopyButton text={text} />
      </div>
      <pre data-testid={testId}>{text}</pre>
    </div>
  );
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return new Date(iso).toLocaleDateString();
}

export function duration(from: string | null | undefined, to: string | null | undefined): string {
  if (!from) return '—';
  const ms = (to ? new Date(to).getTime() : Date.now()) - new Date(from).getTime();
  if (ms < 0) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m}m ${Math.round(s - m * 60)}s`;
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return '—';
  return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/**
 * TanStack Query `placeholderData` for queries keyed `[resource, refresh]`: a new `refresh` stamp
 * reloads while the last good value stays on screen; a new `resource` starts empty.
 */
export const keepWhileSame =
  (resource: string) =>
  <D,>(previous: D | undefined, previousQuery?: { queryKey: readonly unknown[] }) =>
    previousQuery?.queryKey[0] === resource ? previous : undefined;

/** TanStack Query `refetchInterval`: every `intervalMs` while `active` holds for the last value. */
export const pollWhile =
  <T,>(intervalMs: number, active: (value: T | null) => boolean) =>
  (query: { state: { data: T | undefined } }) =>
    active(query.state.data ?? null) ? intervalMs : false;

/**
 * `load` through TanStack Query (see pollOptions), for pages that call the untyped `api()`.
 */
export function usePoll<T>(
  load: () => Promise<T>,
  resource: string,
  intervalMs: number,
  active: (value: T | null) => boolean,
  refresh = '',
): { data: T | null; error: unknown; reload: () => Promise<unknown>; loading: boolean } {
  const query = useQuery({
    queryKey: [resource, refresh],
    queryFn: load,
    placeholderData: keepWhileSame(resource),
    ...(intervalMs > 0 ? { refetchInterval: pollWhile<T>(intervalMs, active) } : {}),
  });
  return {
    data: query.data ?? null,
    error: query.error,
    reload: query.refetch,
    loading: query.isPending,
  };
}

/** An <img> for a URL that may need the API key (fetched with the header, never in the URL). */
export function AuthImage(props: { src: string; alt: string; className?: string }) {
  const url = useAuthorizedUrl(props.src);
  if (!url) return <div className={`img-placeholder ${props.className ?? ''}`}>loading…</div>;
  return <img src={url} alt={props.alt} className={props.className} loading="lazy" />;
}

export function AuthVideo({ src }: { src: string }) {
  const url = useAuthorizedUrl(src);
  if (!url) return <div className="img-placeholder">loading recording…</div>;
  // biome-ignore lint/a11y/useMediaCaption: agent recordings have no audio or captions
  return <video src={url} controls className="recording" data-testid="recording" />;
}

function useAuthorizedUrl(src: string): string | null {
  const [url, setUrl] = useState<string | null>(needsKey(src) ? null : src);
  useEffect(() => {
    if (!needsKey(src)) {
      setUrl(src);
      return;
    }
    let objectUrl: string | null = null;
    let canceled = false;
    authorizedObjectUrl(src)
      .then((u) => {
        objectUrl = u;
        if (!canceled) setUrl(u);
      })
      .catch(() => setUrl(null));
    return () => {
      canceled = true;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
    };
  }, [src]);
  return url;
}

/** A download link; protected URLs are fetched with the key header and saved from a blob. */
export function DownloadLink({ href, filename }: { href: string; filename: string }) {
  if (!needsKey(href))
    return (
      <a href={href} download={filename} target="_blank" rel="noreferrer">
        {filename}
      </a>
    );
  const save = async () => {
    const url = await authorizedObjectUrl(href);
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  return (
    <button type="button" className="linklike" onClick={save}>
      {filename}
    </button>
  );
}

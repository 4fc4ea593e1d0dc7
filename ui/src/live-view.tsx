/**
 * Live view of a browser (a run's or a session's) over a WebSocket screencast.
 *
 * Protocol (docs/ui.md): the UI opens `ws(s)://<host><path>` and sends
 * `{"type":"auth","api_key":"…"}` as its first message (the key never goes in the URL). The server
 * then sends JPEG frames, either as binary messages or as `{"type":"frame","data":"<base64>"}`,
 * and `{"type":"end"}` when the browser goes away; `{"type":"error","message":…}` says why there
 * is nothing to show. When the socket cannot open or closes before the first frame, the slot
 * shows `fallback` (e.g. the latest screenshot) and a note (the server's message when it sent one).
 */
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { getApiKey } from './auth';

type LiveState = 'connecting' | 'live' | 'ended' | 'unavailable';

export function LiveView({ path, fallback }: { path: string; fallback?: ReactNode }) {
  const [state, setState] = useState<LiveState>('connecting');
  const [frame, setFrame] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [frames, setFrames] = useState(0);
  // Object URLs of frames not yet replaced on screen; each is revoked once a newer one has
  // loaded (revoking the shown one early would flash a broken image).
  const frameUrls = useRef<string[]>([]);

  useEffect(() => {
    const protocol = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    let gotFrame = false;
    let socket: WebSocket;
    try {
      socket = new WebSocket(`${protocol}//${window.location.host}${path}`);
    } catch {
      setState('unavailable');
      return;
    }
    socket.binaryType = 'blob';
    const show = (blob: Blob) => {
      gotFrame = true;
      const url = URL.createObjectURL(blob);
      frameUrls.current.push(url);
      setFrame(url);
      setFrames((n) => n + 1);
      setState('live');
    };
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', api_key: getApiKey() }));
    socket.onmessage = (event: MessageEvent) => {
      if (event.data instanceof Blob) return show(event.data);
      try {
        const message = JSON.parse(String(event.data)) as {
          type?: string;
          data?: string;
          message?: string;
        };
        if (message.type === 'frame' && message.data) {
          const bytes = Uint8Array.from(atob(message.data), (c) => c.charCodeAt(0));
          show(new Blob([bytes], { type: 'image/jpeg' }));
        } else if (message.type === 'end') {
          setState('ended');
        } else if (message.type === 'error' && message.message) {
          setNote(message.message);
        }
      } catch {
        // ignore messages this UI does not understand
      }
    };
    socket.onerror = () => setState(gotFrame ? 'ended' : 'unavailable');
    socket.onclose = () =>
      setState((s) => (gotFrame ? 'ended' : s === 'live' ? 'ended' : 'unavailable'));
    return () => {
      socket.onclose = null;
      socket.onerror = null;
      socket.close();
      for (const url of frameUrls.current.splice(0)) URL.revokeObjectURL(url);
    };
  }, [path]);

  return (
    <div className="live" data-testid="live-view" data-state={state} data-frames={frames}>
      {state === 'live' ? <span className="live-badge">● Live</span> : null}
      {frame ? (
        <img
          src={frame}
          alt="Live browser view"
          className="live-frame"
          onLoad={() => {
            const shown = frameUrls.current.indexOf(frame);
            for (const old of frameUrls.current.splice(0, Math.max(0, shown)))
              URL.revokeObjectURL(old);
          }}
        />
      ) : (
        fallback
      )}
      {state === 'live' ? null : (
        <p className="muted" data-testid="live-note">
          {state === 'connecting'
            ? 'Connecting to the live view… (it starts when the browser opens)'
            : state === 'ended'
              ? `The live view has ended${note ? `: ${note}` : '.'}`
              : `Live view is not available${note ? `: ${note}` : ' on this server'}. Showing the latest screenshot when there is one.`}
        </p>
      )}
    </div>
  );
}

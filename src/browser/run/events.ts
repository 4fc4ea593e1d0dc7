/**
 * What happens beside the agent's actions in a run's browser (downloads, dialogs, tabs, crashes,
 * refused connections), kept in order: actions report the slice that happened during them.
 */
import { EventEmitter } from 'node:events';
import type { BlockedRequest } from '../../net/index.js';

export interface TabInfo {
  index: number;
  url: string;
  title: string;
  active: boolean;
}

export interface DownloadInfo {
  filename: string;
  path: string;
  size: number;
  sha256: string;
  url: string;
}

export interface DialogInfo {
  type: string;
  message: string;
  defaultValue: string;
  handled: 'accepted' | 'dismissed';
}

export type RunBrowserEvent =
  | { type: 'download'; download: DownloadInfo }
  | { type: 'download_failed'; url: string; error: string }
  | { type: 'dialog'; dialog: DialogInfo }
  | { type: 'tab_opened'; tab: TabInfo; popup: boolean }
  | { type: 'tab_closed'; url: string }
  | { type: 'crash'; url: string }
  | { type: 'browser_disconnected' }
  /** The egress policy refused a connection the page (or the agent) started. */
  | { type: 'network_blocked'; blocked: BlockedRequest };

/** The run's event log and its listeners. */
export class RunEvents {
  /** Every event in order. */
  readonly list: RunBrowserEvent[] = [];
  private readonly emitter = new EventEmitter();

  emit(e: RunBrowserEvent): void {
    this.list.push(e);
    this.emitter.emit('event', e);
  }

  /** Returns an unsubscribe. */
  on(listener: (e: RunBrowserEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}

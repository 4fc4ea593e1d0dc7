/** alert/confirm/prompt dialogs: answered by the run's policy at once, and reported. */
import type { Dialog, Page } from 'playwright-core';
import type { DialogInfo, RunEvents } from './events.js';

export type DialogPolicy = 'accept' | 'dismiss';

export class Dialogs {
  constructor(
    private readonly events: RunEvents,
    /** Default accept (prompts get their default value); an alert can only be accepted. */
    private readonly policy: DialogPolicy = 'accept',
  ) {}

  /** Answers the tab's dialogs from now on; returns the listener removal. */
  watch(page: Page): () => void {
    const onDialog = (d: Dialog) => void this.handle(d);
    page.on('dialog', onDialog);
    return () => page.off('dialog', onDialog);
  }

  private async handle(d: Dialog): Promise<void> {
    const info: DialogInfo = {
      type: d.type(),
      message: d.message(),
      defaultValue: d.defaultValue(),
      handled: this.policy === 'dismiss' && d.type() !== 'alert' ? 'dismissed' : 'accepted',
    };
    try {
      if (info.handled === 'dismissed') await d.dismiss();
      else await d.accept(d.type() === 'prompt' ? d.defaultValue() : undefined);
    } catch {
      // The page may already be gone; the dialog is still reported.
    }
    this.events.emit({ type: 'dialog', dialog: info });
  }
}

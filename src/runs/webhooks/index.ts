export {
  MAX_RETRY_DELAY_MS,
  REPLAY_TIMEOUT_MS,
  retryDelayMs,
  WebhookDispatcher,
  type WebhookDispatcherOptions,
} from './dispatcher.js';
export { WebhookKeyring } from './keyring.js';
export { buildWebhookPayload, presentRun } from './payload.js';
export {
  RESPONSE_SNIPPET_BYTES,
  type SendOutcome,
  sendWebhook,
} from './send.js';

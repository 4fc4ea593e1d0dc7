export { llmDisambiguator } from './otp-model.js';
export { toListItem, toTaskRunResponse } from './present.js';
export { type FoundScript, type RunWith, runWithOf, ScriptService } from './scripts.js';
export {
  type PrimitiveAction,
  type PrimitiveRunResult,
  type PrimitiveTarget,
  SdkActionService,
  type SdkActionServiceOptions,
} from './sdk-actions.js';
export {
  guardedHttpPost,
  prepareRunSecrets,
  type RunLogin,
  type RunSecrets,
  type RunSecretsDeps,
  RunSecretsError,
  type RunSecretsInput,
  runSecretsInput,
  signingKeyContext,
} from './secrets.js';
export {
  MAX_SCREENSHOT_SCROLLS,
  now,
  type RequestContext,
  type RunEvents,
  RunService,
  type RunServiceOptions,
} from './service.js';
export * from './status.js';
export {
  buildWebhookPayload,
  presentRun,
  WebhookDispatcher,
  type WebhookDispatcherOptions,
  WebhookKeyring,
} from './webhooks/index.js';
export { MAX_ATTEMPTS, Worker, type WorkerOptions } from './worker.js';

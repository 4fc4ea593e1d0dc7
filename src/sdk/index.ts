export type {
  Artifact,
  ArtifactType,
  BrowserSessionResponse,
  CreateBrowserSessionRequestInput,
  Credential,
  CredentialCreate,
  ListRunsQuery,
  RetryRunWebhookRequest,
  RunStatus,
  RunWebhookDeliveries,
  RunWebhookReplayResponse,
  TaskRunListItem,
  TaskRunRequestInput,
  TaskRunResponse,
  TimelineEntry,
  TotpCode,
  TotpCodeCreate,
  TotpCodeListQuery,
} from './client.js';
export {
  type ArtifactContentOptions,
  type RunsApi,
  TERMINAL_RUN_STATUSES,
  type WaitOptions,
  type WrenApi,
  WrenApiError,
  WrenClient,
  type WrenClientOptions,
  waitForCompletion,
} from './client.js';
export { type EmbeddedOptions, EmbeddedWren } from './embedded.js';
export { type RunTaskInput, type RunTaskOptions, Wren, type WrenOptions } from './wren.js';

/**
 * The SDK entry (`import { Wren } from 'wren'`): the HTTP client and `Wren`. It loads no server code
 * (Playwright, Fastify, SQLite, the AI SDK): `EmbeddedWren` is the `wren/embedded` export, and
 * `new Wren()` without a baseUrl imports it only then.
 */
export type {
  Artifact,
  ArtifactType,
  BrowserProfile,
  BrowserProfileListQuery,
  BrowserSessionResponse,
  BulkCancelRunsRequest,
  BulkCancelRunsResponse,
  CreateBrowserProfileRequest,
  CreateBrowserSessionRequestInput,
  Credential,
  CredentialCreate,
  CredentialListQuery,
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
  UpdateBrowserProfileRequest,
  UpdateBrowserSessionRequest,
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
export {
  type ActResult,
  type AiMethods,
  type AiPage,
  aiPage,
  type ObservedElement,
  type PrimitiveBackend,
  type SchemaLike,
  type SdkActionBody,
  type SdkActionReply,
} from './page.js';
export {
  type ScriptContext,
  type ScriptRunLog,
  type ScriptSteps,
  type StepOptions,
  scriptSteps,
} from './script-runtime.js';
export { type CachedSelection, SelectorCache, urlPattern } from './selector-cache.js';
export {
  type AttachOptions,
  type RunTaskInput,
  type RunTaskOptions,
  Wren,
  type WrenOptions,
} from './wren.js';

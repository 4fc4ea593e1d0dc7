/**
 * The SDK entry (`import { Wren } from 'wren'`): the HTTP client and `Wren`. It loads no server code
 * (Playwright, Fastify, SQLite, the AI SDK): `EmbeddedWren` is the `wren/embedded` export, and
 * `new Wren()` without a baseUrl imports it only then.
 */
// Every type of the client (request and response shapes, options); its values are listed below.
export type * from './client.js';
export { TERMINAL_RUN_STATUSES, WrenApiError, WrenClient, waitForCompletion } from './client.js';
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
  type ScriptStepsOptions,
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

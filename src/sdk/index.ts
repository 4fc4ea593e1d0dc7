export type {
  ListRunsQuery,
  RunStatus,
  TaskRunListItem,
  TaskRunRequestInput,
  TaskRunResponse,
} from './client.js';
export {
  type RunsApi,
  TERMINAL_RUN_STATUSES,
  type WaitOptions,
  WrenApiError,
  WrenClient,
  type WrenClientOptions,
  waitForCompletion,
} from './client.js';
export { type EmbeddedOptions, EmbeddedWren } from './embedded.js';

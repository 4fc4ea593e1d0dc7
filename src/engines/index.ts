export * from './ports.js';
export {
  createDefaultRegistry,
  DEFAULT_MAX_STEPS,
  type EngineRegistration,
  EngineRegistry,
} from './registry.js';
export type { RecordedRun } from './script/record.js';
export {
  PAGE_WAIT_MS,
  type ReplayInput,
  type ReplayResult,
  replayScript,
  STEP_SELECTOR_WAIT_MS,
} from './script/replay.js';
export {
  type BrowserProfileStates,
  createEngineServices,
  type EngineServices,
  EngineSetupError,
} from './services.js';
export * from './types.js';

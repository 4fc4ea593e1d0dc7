export * from './ports.js';
export {
  createDefaultRegistry,
  DEFAULT_MAX_STEPS,
  type EngineRegistration,
  EngineRegistry,
} from './registry.js';
export {
  type BrowserProfileStates,
  createEngineServices,
  type EngineServices,
  EngineSetupError,
} from './services.js';
export * from './types.js';

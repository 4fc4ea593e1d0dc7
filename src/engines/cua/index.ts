/**
 * Computer-use engines (openai-cua, anthropic-cua, ui-tars): each vendor's wire protocol, turned
 * into coordinate-level calls on ComputerPrimitives. Depends only on the browser layer's interface
 * and on a PostJson transport, so it can be wired to the LLM layer and the Engine interface as is.
 */
export { type AnthropicCuaLoopOptions, runAnthropicCuaLoop } from './anthropic/loop.js';
export {
  type AnthropicToolVersion,
  anthropicToolVersionForModel,
  buildAnthropicRequest,
  parseAnthropicMessage,
} from './anthropic/protocol.js';
export {
  type CostOf,
  cuaResultToEngineResult,
  cuaStepToEvents,
  describeAction,
} from './engine-result.js';
export {
  type OpenAiCuaLoopOptions,
  runOpenAiCuaLoop,
  type SafetyCheckPolicy,
} from './openai/loop.js';
export {
  buildOpenAiRequest,
  type OpenAiCuaVariant,
  openAiVariantForModel,
  parseOpenAiResponse,
  type SafetyCheck,
} from './openai/protocol.js';
export { type CuaAction, type CuaActionOutcome, executeAction } from './shared/actions.js';
export { CuaActionError, CuaHttpError, CuaProtocolError } from './shared/errors.js';
export { CoordinateScaler, chooseDisplaySize, type Size } from './shared/geometry.js';
export type {
  CuaActionRecord,
  CuaLogEntry,
  CuaLoopOptions,
  CuaLoopResult,
  CuaOutcome,
  CuaStepRecord,
  CuaUsage,
} from './shared/loop.js';
export type { PostJson } from './shared/transport.js';
export { type UiTarsModelVersion, uiTarsVersionForModel } from './ui-tars/coordinates.js';
export { runUiTarsLoop, type UiTarsLoopOptions } from './ui-tars/loop.js';
export { parseUiTarsReply } from './ui-tars/parser.js';

/**
 * AI primitives on a live browser (Stagehand-style: one handler per primitive): act, extract,
 * observe, validate, locate, and Skyvern's SDK actions (ai_click, ai_input_text, …) built on
 * them. They use src/browser (observe, act, stable selectors) and src/llm; nothing else.
 */
export { runSdkAction, type SdkAction, type SdkActionOutcome } from './dispatch.js';
export { ACT_KINDS, type ActKind, type ActOutcome, act, executorAction } from './handlers/act.js';
export { click } from './handlers/click.js';
export { extract, extractSchemaOf } from './handlers/extract.js';
export { inputText } from './handlers/input-text.js';
export { type Located, locateElement } from './handlers/locate.js';
export { type Candidate, observe } from './handlers/observe.js';
export { prompt } from './handlers/prompt.js';
export { selectOption } from './handlers/select-option.js';
export { type ElementOutcome, type ElementRequest, SELECTOR_WAIT_MS } from './handlers/target.js';
export { uploadFile } from './handlers/upload-file.js';
export { type Validation, validate } from './handlers/validate.js';
export {
  newContext,
  type PrimitiveContext,
  PrimitiveError,
  type PrimitiveLogEntry,
} from './types.js';

/**
 * Run with code (docs/code-mode.md): compiling a recorded run into a script, the script's
 * signature and parameters, and its TypeScript form. Pure data; the engines record and replay,
 * the store keeps scripts and revisions, the run service looks them up.
 */
export {
  type CompileInput,
  type CompileResult,
  compileScript,
  parameterName,
  resolveValue,
  withHealedSteps,
} from './compile.js';
export { buildTree, inferList, type ListInference, readListOnSnapshot } from './list.js';
export { type PageEvaluate, readOutput } from './read.js';
export { type EvaluatesElement, readyToClick } from './ready.js';
export { type RenderMeta, renderScript } from './render.js';
export {
  matchTemplate,
  occursIn,
  promptTemplate,
  schemaHash,
  signatureOf,
  templateParams,
  urlMatches,
  urlPattern,
} from './signature.js';
export { type PageSnapshot, SNAPSHOT_ATTRS, type SnapElement, snapshotInPage } from './snapshot.js';
export type {
  ElementStep,
  ExtractionRule,
  ListField,
  ListRule,
  ScriptBody,
  ScriptParameter,
  ScriptRunInfo,
  ScriptSignatureParts,
  ScriptStep,
  ScriptValue,
  TrajectoryEntry,
} from './types.js';

/**
 * The browser layer's public surface for engines: launch/contexts, observation, actions and
 * computer-use primitives. Only this folder touches Playwright objects.
 */
export {
  ACTIONS,
  ACTIONS_BY_NAME,
  type Action,
  type ActionName,
  actionDescription,
  actionLogLine,
  actionSchema,
  actionSchemas,
  actionToolSchemas,
  prepareAction,
} from './act/actions/index.js';
export type { ExecuteOptions, SettleMode } from './act/executor.js';
export { KEY_NAMES, normalizeKeys } from './act/keys.js';
export {
  type ModelActionPick,
  modelActionBranches,
  modelActionSchema,
} from './act/model-schema.js';
export {
  classifyVerificationPage,
  detectOtpFields,
  type InputFieldInfo,
  planOtpEntry,
} from './act/otp-fields.js';
export type { ActionDef, ActionEffects, ActionOutcome, ActionResult } from './act/types.js';
export type { ComputerPrimitives, MouseButton, Point } from './computer.js';
export {
  type BrowserProfile,
  type CdpConnection,
  cdpUnreachable,
  connectCallerCdp,
  connectCdp,
  launchSessionBrowser,
  launchUserChrome,
  type SessionBrowser,
  type SessionBrowserOptions,
  type UserChromeOptions,
} from './connect.js';
export { BrowserError, type BrowserErrorKind, errorMessage } from './errors.js';
export { type Har, type HarEntry, type HarOptions, type HarPage, HarRecorder } from './har.js';
export {
  BrowserManager,
  type BrowserManagerOptions,
  blockedHostsFlag,
  CHROMIUM_ARGS,
  resolveExecutablePath,
} from './launch.js';
export {
  LiveBrowsers,
  type LiveEntry,
  type LiveKind,
  type LiveSource,
  newestPage,
  type Screencast,
  type ScreencastOptions,
  startScreencast,
} from './live.js';
export { Observation, type ObserveOptions } from './observe/observation.js';
export {
  type ElementInfo,
  type RenderOptions,
  type RenderResult,
  renderTree,
} from './observe/render.js';
export type { RawElement, RawNode } from './observe/types.js';
export {
  type RecorderOptions,
  type Recording,
  type RecordingResult,
  startRecording,
} from './recorder.js';
export { nextDownload } from './run/downloads.js';
export {
  type AttachOptions,
  type DialogInfo,
  type DownloadInfo,
  installPageShims,
  RunBrowser,
  type RunBrowserEvent,
  type RunBrowserOptions,
  type TabInfo,
} from './run-browser.js';
export {
  buildSelector,
  countMatches,
  type HitNode,
  looksGenerated,
  type PointTarget,
  pickTarget,
  type ResolveOptions,
  resolveSelector,
  roleSelector,
  type SelectorStrategy,
  type StableSelector,
  type TargetPick,
  type TargetResult,
  textSelector,
} from './selectors/index.js';
export {
  applyBrowserState,
  captureBrowserState,
  EMPTY_BROWSER_STATE,
  isStoredBrowserState,
  type StoredBrowserState,
} from './storage-state.js';
export { checkNavigationTarget, checkNavigationUrl, type HostResolver } from './url-guard.js';

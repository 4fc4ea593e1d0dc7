/**
 * The contract between the run worker (src/runs) and the agent engines (src/engines/*).
 * An engine gets everything it needs through EngineContext and never touches HTTP or SQL.
 */

import type { ArtifactSink } from '../artifacts/index.js';
import type { EngineName, Usage } from '../core/index.js';
import type { RecordedRun } from './script/record.js';

export { ENGINE_NAMES } from '../core/index.js';
export type { EngineName, Usage };

/** What the caller asked for, as the engine needs it (already validated). */
export interface TaskSpec {
  runId: string;
  organizationId: string;
  prompt: string;
  url: string | null;
  engine: EngineName;
  title: string | null;
  dataExtractionSchema: unknown;
  errorCodeMapping: Record<string, string> | null;
  /** Already resolved: request value, else the engine default. */
  maxSteps: number;
  totpIdentifier: string | null;
  totpUrl: string | null;
  browserSessionId: string | null;
  browserAddress: string | null;
  /** Start from this browser profile's cookies and storage; saved back at close. */
  browserProfileId?: string | null;
  cdpConnectHeaders: Record<string, string> | null;
  extraHttpHeaders: Record<string, string> | null;
  proxyLocation: unknown;
  includeActionHistoryInVerification: boolean;
  maxScreenshotScrolls: number;
  model: Record<string, unknown> | null;
  /** Record each action's stable selector so a script can be compiled (docs/code-mode.md). */
  recordScript?: boolean;
}

export interface RunErrorObject {
  error_code: string;
  reasoning: string;
  confidence_float?: number;
  error_type: 'USER_DEFINED_ERROR' | 'SYSTEM_DEFINED_ERROR';
}

/** Progress an engine reports while it works; the worker logs and records it. */
export type EngineEvent =
  | { type: 'step_started'; stepIndex: number }
  | {
      type: 'step_finished';
      stepIndex: number;
      summary: string;
      /** The model's assessment for this step (page state and progress), when it gave one. */
      reasoning?: string;
      usage?: Usage;
      /** Time spent reading the page (observations) during this step. */
      observeMs?: number;
    }
  | {
      type: 'action';
      stepIndex: number;
      actionIndex: number;
      /** One line, secrets already masked, e.g. `click [12]`. */
      action: string;
      ok: boolean;
      note?: string;
      durationMs: number;
    }
  | {
      type: 'model_call';
      stepIndex: number;
      role: string;
      model: string;
      durationMs: number;
      usage: Usage;
      /** Text parts only; images are recorded as screenshots separately. */
      prompt: { system: string; text: string };
      response: string;
    }
  | {
      type: 'subgoal_started';
      subgoalIndex: number;
      kind: string;
      goal: string;
      /** Run-wide index of the first browser step this sub-goal may use. */
      firstStep: number;
    }
  | {
      type: 'subgoal_finished';
      subgoalIndex: number;
      status: 'completed' | 'failed' | 'terminated';
      outcome: string;
      data?: unknown;
    }
  | {
      /** The egress policy refused a connection of the run's browser (timeline, with why). */
      type: 'network_blocked';
      stepIndex: number;
      method: string;
      url: string;
      reason: string;
    }
  | {
      type: 'log';
      level: 'debug' | 'info' | 'warn';
      message: string;
      data?: Record<string, unknown>;
    };

/**
 * A run's secrets as engines see them: placeholders only. Real values are substituted at the
 * moment an action executes and masked out of everything sent to a model, a log or an artifact.
 */
export interface EngineSecrets {
  mask(text: string): string;
  substitute(text: string): string;
  /** The referenced credential: username in clear, password and code as placeholders. */
  login: { username: string; password: string; totp: string | null } | null;
  /**
   * A referenced credit card or secret: labelled lines, secret values as placeholders (the card
   * number, CVV and secret value), the rest (expiry, holder, brand, label) in clear.
   */
  credentialFields?: { label: string; value: string; placeholder: boolean }[];
  /** Whether any 2FA source (stored secret, totp_url, totp_identifier) is configured. */
  hasTotpSource: boolean;
  /** A current code, registered as `{{totp}}`; or the error code and reason to end the run with. */
  resolveTotp(
    signal: AbortSignal,
  ): Promise<{ ok: true } | { ok: false; errorCode: string; reason: string }>;
}

export interface EngineContext {
  task: TaskSpec;
  /** Aborted when the run is canceled or exceeds its wall-clock limit. Honour it between actions. */
  signal: AbortSignal;
  emit(event: EngineEvent): void;
  /** Records screenshots, page text, HAR, downloads… for the run (absent when not configured). */
  artifacts?: ArtifactSink;
  /** Credentials and 2FA of the run; absent when the run has none configured. */
  secrets?: EngineSecrets;
}

export type EngineOutcome =
  | { status: 'completed'; output: unknown }
  | { status: 'failed' | 'terminated'; failureReason: string; output?: unknown };

export interface EngineResult {
  outcome: EngineOutcome;
  errors: RunErrorObject[];
  stepCount: number;
  usage: Usage;
  /** A completed run recorded for code mode (task.recordScript): what the script compiles from. */
  recorded?: RecordedRun;
}

export interface Engine {
  readonly name: EngineName;
  run(ctx: EngineContext): Promise<EngineResult>;
}

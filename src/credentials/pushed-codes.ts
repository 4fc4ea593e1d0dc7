import { randomBytes } from 'node:crypto';
import { CredentialInputError } from './errors.js';
import { type Disambiguate, extractOtp, extractOtpWithModel, type OtpType } from './extract.js';

/**
 * Codes pushed by callers (`POST /v1/credentials/totp`, docs/credentials.md): validation and parsing of
 * the request, the record kept per code, the storage interface `store/` will implement, and the
 * pure rule deciding which stored code a run may use (docs/credentials.md).
 */

/** A pushed code stays usable this long after it was received (Skyvern's TOTP_LIFESPAN_MINUTES). */
export const TOTP_LIFESPAN_MS = 10 * 60_000;
/** Unparseable content up to this size is kept raw and re-read later (TOTP_RAW_CONTENT_MAX_LENGTH). */
export const RAW_CONTENT_MAX_LENGTH = 65_536;

export interface TotpCodeRecord {
  /** `totp_<digits>` */
  id: string;
  organizationId: string;
  /** Normalised (see normalizeTotpIdentifier). */
  totpIdentifier: string;
  content: string;
  /** The code or magic link; '' while `status` is raw_pending. */
  code: string;
  otpType: OtpType | null;
  status: 'parsed' | 'raw_pending';
  taskId: string | null;
  workflowId: string | null;
  workflowRunId: string | null;
  source: string | null;
  expiredAt: Date | null;
  createdAt: Date;
}

export interface TotpCodeQuery {
  organizationId: string;
  totpIdentifier: string;
  /** Only rows created at or after this instant. */
  createdAfter: Date;
  limit?: number;
}

/** What store/ implements (a table with the record's columns, indexed by org + identifier + created_at). */
/** Filters of `GET /v1/credentials/totp`. */
export interface TotpCodeListQuery {
  organizationId: string;
  totpIdentifier?: string;
  workflowRunId?: string;
  otpType?: OtpType;
  /** 1–200 (default 50). */
  limit?: number;
}

export interface TotpCodeStore {
  insert(record: TotpCodeRecord): Promise<void>;
  /** Newest first. */
  findRecent(query: TotpCodeQuery): Promise<TotpCodeRecord[]>;
  /** Newest first. */
  list(query: TotpCodeListQuery): Promise<TotpCodeRecord[]>;
  /** Deletes one code (a run used it). */
  delete(id: string): Promise<void>;
  /** Deletes codes created before `before` (retention); returns how many. */
  deleteOlderThan(before: Date): Promise<number>;
}

/** In-process store for tests and the embedded mode. */
export class MemoryTotpCodeStore implements TotpCodeStore {
  private readonly rows: TotpCodeRecord[] = [];

  async insert(record: TotpCodeRecord): Promise<void> {
    this.rows.push({ ...record });
  }

  async delete(id: string): Promise<void> {
    const i = this.rows.findIndex((r) => r.id === id);
    if (i >= 0) this.rows.splice(i, 1);
  }

  async deleteOlderThan(before: Date): Promise<number> {
    const keep = this.rows.filter((r) => r.createdAt.getTime() >= before.getTime());
    const removed = this.rows.length - keep.length;
    this.rows.splice(0, this.rows.length, ...keep);
    return removed;
  }

  async findRecent(query: TotpCodeQuery): Promise<TotpCodeRecord[]> {
    return this.rows
      .filter(
        (r) =>
          r.organizationId === query.organizationId &&
          r.totpIdentifier === query.totpIdentifier &&
          r.createdAt.getTime() >= query.createdAfter.getTime(),
      )
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .slice(0, query.limit ?? 50)
      .map((r) => ({ ...r }));
  }

  async list(query: TotpCodeListQuery): Promise<TotpCodeRecord[]> {
    const identifier =
      query.totpIdentifier === undefined
        ? undefined
        : normalizeTotpIdentifier(query.totpIdentifier);
    return this.rows
      .filter(
        (r) =>
          r.organizationId === query.organizationId &&
          (identifier === undefined || r.totpIdentifier === identifier) &&
          (query.workflowRunId === undefined || r.workflowRunId === query.workflowRunId) &&
          (query.otpType === undefined || r.otpType === query.otpType),
      )
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .slice(0, Math.min(200, Math.max(1, query.limit ?? 50)))
      .map((r) => ({ ...r }));
  }
}

/**
 * Emails match case-insensitively (docs/credentials.md); phone numbers lose their punctuation so
 * `+1 (555) 010-2030` and `+15550102030` are the same identifier.
 */
export function normalizeTotpIdentifier(id: string): string {
  const t = id.trim();
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(t)) return t.toLowerCase();
  if (/^\+?[\d\s().-]+$/.test(t)) {
    const digits = t.replace(/\D/g, '');
    if (digits.length >= 7) return (t.startsWith('+') ? '+' : '') + digits;
  }
  return t;
}

export interface TotpPush {
  totpIdentifier: string;
  content: string;
  taskId: string | null;
  workflowId: string | null;
  workflowRunId: string | null;
  source: string | null;
  expiredAt: Date | null;
}

/** Validates a push request body (`TOTPCodeCreate`); errors name the field. */
export function parseTotpPush(body: unknown): TotpPush {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new CredentialInputError('body', 'must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  const identifier = requiredString(b, 'totp_identifier', 255);
  const content = requiredString(b, 'content', Number.POSITIVE_INFINITY).replace(/\0/g, '').trim();
  if (content === '') throw new CredentialInputError('content', 'is empty');
  if (
    b['type'] !== undefined &&
    b['type'] !== null &&
    b['type'] !== 'totp' &&
    b['type'] !== 'magic_link'
  ) {
    throw new CredentialInputError('type', 'must be "totp" or "magic_link" (it is ignored anyway)');
  }
  return {
    totpIdentifier: normalizeTotpIdentifier(identifier),
    content,
    taskId: optionalString(b, 'task_id'),
    workflowId: optionalString(b, 'workflow_id'),
    workflowRunId: optionalString(b, 'workflow_run_id'),
    source: optionalString(b, 'source'),
    expiredAt: optionalDate(b, 'expired_at'),
  };
}

function requiredString(b: Record<string, unknown>, field: string, max: number): string {
  const v = b[field];
  if (typeof v !== 'string')
    throw new CredentialInputError(field, 'is required and must be a string');
  if (v.trim() === '') throw new CredentialInputError(field, 'is empty');
  if (v.length > max) throw new CredentialInputError(field, `is longer than ${max} characters`);
  return v;
}

function optionalString(b: Record<string, unknown>, field: string): string | null {
  const v = b[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new CredentialInputError(field, 'must be a string');
  const t = v.trim();
  if (t.length > 255) throw new CredentialInputError(field, 'is longer than 255 characters');
  return t === '' ? null : t;
}

function optionalDate(b: Record<string, unknown>, field: string): Date | null {
  const v = b[field];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new CredentialInputError(field, 'must be an ISO 8601 date-time');
  // Skyvern sends naive UTC timestamps (no offset); read those as UTC, not local time.
  const text = /[zZ]|[+-]\d\d:?\d\d$/.test(v) || !v.includes('T') ? v : `${v}Z`;
  const d = new Date(text);
  if (Number.isNaN(d.getTime()))
    throw new CredentialInputError(field, 'must be an ISO 8601 date-time');
  return d;
}

export interface AcceptTotpPushDeps {
  organizationId: string;
  store: TotpCodeStore;
  now?: () => number;
  newId?: () => string;
  /** Model fallback for ambiguous content; its answer must occur verbatim. */
  disambiguate?: Disambiguate;
  /** Checks that task_id / workflow_id / workflow_run_id exist (contract: 400 `Invalid task id`). */
  scopeExists?: (
    field: 'task_id' | 'workflow_id' | 'workflow_run_id',
    id: string,
  ) => Promise<boolean>;
}

/**
 * The push endpoint without HTTP: validate, extract the code or link, store. Content that yields
 * nothing is kept as `raw_pending` (re-read when a run polls) unless it is too long.
 */
export async function acceptTotpPush(
  body: unknown,
  deps: AcceptTotpPushDeps,
): Promise<TotpCodeRecord> {
  const push = parseTotpPush(body);
  if (deps.scopeExists) {
    for (const [field, id] of [
      ['task_id', push.taskId],
      ['workflow_id', push.workflowId],
      ['workflow_run_id', push.workflowRunId],
    ] as const) {
      if (id && !(await deps.scopeExists(field, id))) {
        throw new CredentialInputError(
          field,
          `no such ${field.replace(/_id$/, '').replace('_', ' ')}`,
        );
      }
    }
  }
  const found = await extractOtpWithModel(push.content, { disambiguate: deps.disambiguate });
  if (found.status !== 'found' && push.content.length > RAW_CONTENT_MAX_LENGTH) {
    throw new CredentialInputError(
      'content',
      `no code or link found, and content longer than ${RAW_CONTENT_MAX_LENGTH} characters is not kept`,
    );
  }
  const record: TotpCodeRecord = {
    id: (deps.newId ?? newTotpId)(),
    organizationId: deps.organizationId,
    totpIdentifier: push.totpIdentifier,
    content: push.content,
    code: found.status === 'found' ? found.value : '',
    otpType: found.status === 'found' ? found.type : null,
    status: found.status === 'found' ? 'parsed' : 'raw_pending',
    taskId: push.taskId,
    workflowId: push.workflowId,
    workflowRunId: push.workflowRunId,
    source: push.source,
    expiredAt: push.expiredAt,
    createdAt: new Date((deps.now ?? Date.now)()),
  };
  await deps.store.insert(record);
  return record;
}

export function newTotpId(): string {
  return `totp_${randomBytes(8).readBigUInt64BE() >> 1n}`;
}

/** Which run may use a pushed code. */
export interface RunScope {
  taskId: string;
  workflowRunId?: string | null;
  workflowId?: string | null;
  /** Codes received before the run started belong to someone else's login. */
  startedAt?: Date | null;
}

export interface SelectPushedCodeOptions {
  scope: RunScope;
  nowMs: number;
  lifespanMs?: number;
  expect?: OtpType;
  /** Record ids already handed to this run (a rejected code must not be typed again). */
  exclude?: ReadonlySet<string>;
}

/**
 * The newest usable code among rows of one identifier: within its lifespan and `expired_at`,
 * not scoped to another task/workflow run/workflow, received after the run started, of the
 * expected type. Raw rows are re-read with the expected type in mind.
 */
export function selectPushedCode(
  rows: readonly TotpCodeRecord[],
  options: SelectPushedCodeOptions,
): { record: TotpCodeRecord; value: string; otpType: OtpType } | null {
  const { scope, nowMs } = options;
  const lifespan = options.lifespanMs ?? TOTP_LIFESPAN_MS;
  const sorted = [...rows].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  for (const row of sorted) {
    if (options.exclude?.has(row.id)) continue;
    const created = row.createdAt.getTime();
    if (created < nowMs - lifespan) continue;
    if (row.expiredAt && row.expiredAt.getTime() <= nowMs) continue;
    if (scope.startedAt && created < scope.startedAt.getTime()) continue;
    if (row.taskId && row.taskId !== scope.taskId) continue;
    if (row.workflowRunId && row.workflowRunId !== scope.workflowRunId) continue;
    if (row.workflowId && row.workflowId !== scope.workflowId) continue;
    let value = row.code;
    let otpType = row.otpType;
    if (
      row.status === 'raw_pending' ||
      !otpType ||
      (options.expect && otpType !== options.expect)
    ) {
      const again = extractOtp(row.content, options.expect ? { expect: options.expect } : {});
      if (again.status !== 'found') continue;
      value = again.value;
      otpType = again.type;
    }
    if (options.expect && otpType !== options.expect) continue;
    return { record: row, value, otpType };
  }
  return null;
}

/** The `TOTPCode` response body of docs/credentials.md */
export function toTotpCodeResponse(r: TotpCodeRecord): Record<string, unknown> {
  return {
    totp_code_id: r.id,
    code: r.code,
    content: r.content,
    totp_identifier: r.totpIdentifier,
    task_id: r.taskId,
    workflow_id: r.workflowId,
    workflow_run_id: r.workflowRunId,
    source: r.source,
    expired_at: r.expiredAt ? naiveUtc(r.expiredAt) : null,
    organization_id: r.organizationId,
    created_at: naiveUtc(r.createdAt),
    modified_at: naiveUtc(r.createdAt),
    otp_type: r.otpType,
    ...(r.status === 'raw_pending' ? { status: 'raw_pending' } : {}),
  };
}

/** Skyvern's timestamp style: UTC without offset, microsecond precision. */
function naiveUtc(d: Date): string {
  return `${d.toISOString().slice(0, 23)}000`;
}

/**
 * Tables of the credentials feature: pushed one-time codes (`totp_codes`) and stored logins
 * (`credentials`, sealed columns only). Implements the storage interfaces src/credentials
 * defines, so the rules stay there and only the SQL lives here.
 */
import type { Kysely, Selectable } from 'kysely';
import {
  type CredentialDetails,
  type CredentialStore,
  type CredentialType,
  normalizeTotpIdentifier,
  type SealedCredential,
  type TotpCodeListQuery,
  type TotpCodeQuery,
  type TotpCodeRecord,
  type TotpCodeStore,
} from '../credentials/index.js';
import type { Database } from './schema.js';

export type TotpCodesTable = {
  id: string;
  organization_id: string;
  /** Normalised (emails lower-cased, phone punctuation removed). */
  totp_identifier: string;
  content: string;
  /** '' while status is raw_pending. */
  code: string;
  otp_type: string | null;
  status: string;
  task_id: string | null;
  workflow_id: string | null;
  workflow_run_id: string | null;
  source: string | null;
  expired_at: string | null;
  created_at: string;
};

export type CredentialsTable = {
  id: string;
  organization_id: string;
  name: string;
  /** '' for cards and secrets. */
  username: string;
  /** SecretBox envelope; the password itself is never stored. '' for cards and secrets. */
  password_sealed: string;
  totp_sealed: string | null;
  totp_issuer: string | null;
  created_at: string;
  /** password | credit_card | secret (migration 0008; older rows are logins). */
  credential_type: string;
  /** Cards and secrets: SecretBox envelope of every secret field as JSON. */
  data_sealed: string | null;
  /** Public details a response shows (TOTP kind, card last four and brand, secret label). */
  details_json: string | null;
  modified_at: string | null;
};

/**
 * The API key that created a run with a totp_url, sealed: totp_url requests are signed with it
 * (docs/credentials.md) and only its hash is kept elsewhere.
 */
export type RunSigningKeysTable = {
  run_id: string;
  organization_id: string;
  key_sealed: string;
  created_at: string;
};

export type CredentialTables = {
  totp_codes: TotpCodesTable;
  credentials: CredentialsTable;
  run_signing_keys: RunSigningKeysTable;
};

type Db = Kysely<Database & CredentialTables>;

const iso = (d: Date): string => d.toISOString();
const date = (s: string | null): Date | null => (s === null ? null : new Date(s));

function toTotpRecord(row: Selectable<TotpCodesTable>): TotpCodeRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    totpIdentifier: row.totp_identifier,
    content: row.content,
    code: row.code,
    otpType: row.otp_type === 'totp' || row.otp_type === 'magic_link' ? row.otp_type : null,
    status: row.status === 'raw_pending' ? 'raw_pending' : 'parsed',
    taskId: row.task_id,
    workflowId: row.workflow_id,
    workflowRunId: row.workflow_run_id,
    source: row.source,
    expiredAt: date(row.expired_at),
    createdAt: new Date(row.created_at),
  };
}

/** Pushed codes (`POST /v1/credentials/totp`), read back by runs waiting for a code. */
export class SqlTotpCodeStore implements TotpCodeStore {
  private readonly db: Db;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<CredentialTables>();
  }

  async insert(record: TotpCodeRecord): Promise<void> {
    await this.db
      .insertInto('totp_codes')
      .values({
        id: record.id,
        organization_id: record.organizationId,
        totp_identifier: record.totpIdentifier,
        content: record.content,
        code: record.code,
        otp_type: record.otpType,
        status: record.status,
        task_id: record.taskId,
        workflow_id: record.workflowId,
        workflow_run_id: record.workflowRunId,
        source: record.source,
        expired_at: record.expiredAt ? iso(record.expiredAt) : null,
        created_at: iso(record.createdAt),
      })
      .execute();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('totp_codes').where('id', '=', id).execute();
  }

  async deleteOlderThan(before: Date): Promise<number> {
    const result = await this.db
      .deleteFrom('totp_codes')
      .where('created_at', '<', iso(before))
      .executeTakeFirst();
    return Number(result.numDeletedRows ?? 0);
  }

  async findRecent(query: TotpCodeQuery): Promise<TotpCodeRecord[]> {
    const rows = await this.db
      .selectFrom('totp_codes')
      .selectAll()
      .where('organization_id', '=', query.organizationId)
      .where('totp_identifier', '=', query.totpIdentifier)
      .where('created_at', '>=', iso(query.createdAfter))
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(query.limit ?? 50)
      .execute();
    return rows.map(toTotpRecord);
  }

  async list(query: TotpCodeListQuery): Promise<TotpCodeRecord[]> {
    let q = this.db
      .selectFrom('totp_codes')
      .selectAll()
      .where('organization_id', '=', query.organizationId);
    if (query.totpIdentifier !== undefined)
      q = q.where('totp_identifier', '=', normalizeTotpIdentifier(query.totpIdentifier));
    if (query.workflowRunId !== undefined) q = q.where('workflow_run_id', '=', query.workflowRunId);
    if (query.otpType !== undefined) q = q.where('otp_type', '=', query.otpType);
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(Math.min(200, Math.max(1, query.limit ?? 50)))
      .execute();
    return rows.map(toTotpRecord);
  }
}

function toSealed(row: Selectable<CredentialsTable>): SealedCredential {
  const type = (row.credential_type || 'password') as CredentialType;
  const details = (
    row.details_json ? JSON.parse(row.details_json) : null
  ) as CredentialDetails | null;
  return {
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    type,
    username: row.username,
    passwordSealed: row.password_sealed === '' ? null : row.password_sealed,
    totpSealed: row.totp_sealed,
    totpIssuer: row.totp_issuer,
    dataSealed: row.data_sealed,
    // Logins stored before migration 0008 have no details: an authenticator secret or none.
    details: details ?? {
      totp_type: row.totp_sealed ? 'authenticator' : 'none',
      totp_identifier: null,
    },
    createdAt: new Date(row.created_at),
    modifiedAt: new Date(row.modified_at ?? row.created_at),
  };
}

function columns(row: SealedCredential) {
  return {
    name: row.name,
    username: row.username,
    password_sealed: row.passwordSealed ?? '',
    totp_sealed: row.totpSealed,
    totp_issuer: row.totpIssuer,
    credential_type: row.type,
    data_sealed: row.dataSealed,
    details_json: JSON.stringify(row.details),
    modified_at: iso(row.modifiedAt),
  };
}

/** Stored credentials; every query is scoped to one organization. */
export class SqlCredentialStore implements CredentialStore {
  private readonly db: Db;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<CredentialTables>();
  }

  async insert(row: SealedCredential): Promise<void> {
    await this.db
      .insertInto('credentials')
      .values({
        id: row.id,
        organization_id: row.organizationId,
        created_at: iso(row.createdAt),
        ...columns(row),
      })
      .execute();
  }

  async get(organizationId: string, id: string): Promise<SealedCredential | null> {
    const row = await this.db
      .selectFrom('credentials')
      .selectAll()
      .where('id', '=', id)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    return row ? toSealed(row) : null;
  }

  /** Oldest first, as created. */
  async list(organizationId: string): Promise<SealedCredential[]> {
    const rows = await this.db
      .selectFrom('credentials')
      .selectAll()
      .where('organization_id', '=', organizationId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return rows.map(toSealed);
  }

  /** Overwrites the row's data, keeping its id and created_at. */
  async replace(row: SealedCredential): Promise<boolean> {
    const result = await this.db
      .updateTable('credentials')
      .set(columns(row))
      .where('id', '=', row.id)
      .where('organization_id', '=', row.organizationId)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async delete(organizationId: string, id: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('credentials')
      .where('id', '=', id)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}

/** Sealed signing keys of runs (see RunSigningKeysTable). */
export class SqlRunSigningKeyStore {
  private readonly db: Db;

  constructor(db: Kysely<Database>) {
    this.db = db.withTables<CredentialTables>();
  }

  async put(row: {
    runId: string;
    organizationId: string;
    keySealed: string;
    createdAt: Date;
  }): Promise<void> {
    await this.db
      .insertInto('run_signing_keys')
      .values({
        run_id: row.runId,
        organization_id: row.organizationId,
        key_sealed: row.keySealed,
        created_at: iso(row.createdAt),
      })
      .execute();
  }

  /** The sealed key, or null when the run has none. */
  async get(organizationId: string, runId: string): Promise<string | null> {
    const row = await this.db
      .selectFrom('run_signing_keys')
      .select('key_sealed')
      .where('run_id', '=', runId)
      .where('organization_id', '=', organizationId)
      .executeTakeFirst();
    return row?.key_sealed ?? null;
  }

  /** Drops the key of a run that was never stored (e.g. refused by a quota). */
  async delete(runId: string): Promise<void> {
    await this.db.deleteFrom('run_signing_keys').where('run_id', '=', runId).execute();
  }
}

import type { SealedCredential } from './credential-store.js';
import {
  type CredentialListQuery,
  type CredentialStore,
  filterCredentials,
  parseCredentialInput,
  sealCredential,
} from './credential-store.js';
import type { Disambiguate } from './extract.js';
import {
  acceptTotpPush,
  type TotpCodeListQuery,
  type TotpCodeRecord,
  type TotpCodeStore,
} from './pushed-codes.js';
import type { SecretBox } from './secret-box.js';

export interface CredentialServiceOptions {
  credentials: CredentialStore;
  totpCodes: TotpCodeStore;
  /** Seals passwords, TOTP secrets, cards and secret values (loadSecretBox). */
  box: SecretBox;
  /** Whether the organization has a run with this id: a pushed code may name it as task_id. */
  runExists: (organizationId: string, runId: string) => Promise<boolean>;
  /** Model fallback for ambiguous pushed content; without it such content is kept raw. */
  disambiguate?: Disambiguate;
}

/**
 * Stored credentials and pushed one-time codes of an organization, over the storage ports this
 * folder defines (store/ implements them). Input errors are CredentialInputError naming the
 * field; a credential that does not exist is null or false, for the caller to answer.
 */
export class CredentialService {
  constructor(private readonly options: CredentialServiceOptions) {}

  /** Parses and stores a pushed code (or the SMS/email that holds it). */
  pushCode(organizationId: string, body: unknown): Promise<TotpCodeRecord> {
    const { totpCodes, disambiguate, runExists } = this.options;
    return acceptTotpPush(body, {
      organizationId,
      store: totpCodes,
      ...(disambiguate ? { disambiguate } : {}),
      // Wren has no workflows: a workflow scope never exists.
      scopeExists: async (field, id) => field === 'task_id' && runExists(organizationId, id),
    });
  }

  /** Recently pushed codes, newest first. */
  listCodes(query: TotpCodeListQuery): Promise<TotpCodeRecord[]> {
    return this.options.totpCodes.list(query);
  }

  /** Parses a create body, seals it and stores it. */
  async create(organizationId: string, body: unknown): Promise<SealedCredential> {
    const row = this.seal(organizationId, body);
    await this.options.credentials.insert(row);
    return row;
  }

  async list(organizationId: string, query: CredentialListQuery): Promise<SealedCredential[]> {
    return filterCredentials(await this.options.credentials.list(organizationId), query);
  }

  get(organizationId: string, id: string): Promise<SealedCredential | null> {
    return this.options.credentials.get(organizationId, id);
  }

  /** Overwrites a credential, keeping its id and creation time; null when it does not exist. */
  async replace(
    organizationId: string,
    id: string,
    body: unknown,
  ): Promise<SealedCredential | null> {
    const existing = await this.options.credentials.get(organizationId, id);
    if (!existing) return null;
    const row = this.seal(organizationId, body, existing);
    return (await this.options.credentials.replace(row)) ? row : null;
  }

  /** True if a credential was deleted. */
  delete(organizationId: string, id: string): Promise<boolean> {
    return this.options.credentials.delete(organizationId, id);
  }

  private seal(
    organizationId: string,
    body: unknown,
    existing?: { id: string; createdAt: Date },
  ): SealedCredential {
    return sealCredential(parseCredentialInput(body), {
      box: this.options.box,
      organizationId,
      ...(existing ? { id: existing.id, createdAt: existing.createdAt } : {}),
    });
  }
}

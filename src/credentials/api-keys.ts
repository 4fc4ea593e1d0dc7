/**
 * API keys: opaque random strings shown once, stored only as SHA-256 hashes. Each key belongs to
 * an organization and is an admin key or an ordinary one (docs/security.md). First start creates
 * a default organization and an admin key. The rows live behind ApiKeyPort, which store/
 * implements; the HTTP side (the x-api-key hook) is api/'s.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newId, ServiceError } from '../core/index.js';

/** An organization as a request sees it (the API key's). */
export interface Organization {
  id: string;
  name: string;
  createdAt: string;
}

export interface ApiKeySummary {
  id: string;
  organizationId: string;
  /** The first characters of the key (e.g. `wren_AbCd`), enough to tell keys apart. */
  prefix: string;
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
  /** May create organizations and mint or revoke keys. */
  admin: boolean;
  /** env (WREN_API_KEY) | generated (first start) | api | cli; null for older keys. */
  source: string | null;
}

export interface OrganizationRecord {
  id: string;
  name: string;
  createdAt: string;
  /** Quota overrides; null: the server's default (WREN_ORG_MAX_*). */
  maxBrowserSessions: number | null;
  maxActiveRuns: number | null;
}

/** Who an x-api-key is: its organization, and whether it is an admin key. */
export interface KeyIdentity {
  keyId: string;
  admin: boolean;
  organization: { id: string; name: string; createdAt: string };
}

export interface NewApiKey {
  id: string;
  organizationId: string;
  keyHash: string;
  keyPrefix: string;
  label: string | null;
  createdAt: string;
  admin?: boolean;
  source?: string | null;
}

/** The organizations and API keys tables, as store/ implements them. */
export interface ApiKeyPort {
  /** How many keys exist, revoked ones included (none: first start mints one). */
  count(): Promise<number>;
  list(organizationId: string): Promise<ApiKeySummary[]>;
  get(keyId: string): Promise<ApiKeySummary | null>;
  /** False when a key with the same hash exists already, revoked or not. */
  insert(key: NewApiKey): Promise<boolean>;
  /** The live (unrevoked) key with this hash. */
  identityForHash(keyHash: string): Promise<KeyIdentity | null>;
  /** False when it was revoked already or does not exist. */
  revoke(keyId: string, at: string): Promise<boolean>;
  /** Revokes every live env key (WREN_API_KEY) except the one with this hash; their ids. */
  retireEnvKeys(exceptHash: string, at: string): Promise<string[]>;
  createOrganization(
    org: Pick<OrganizationRecord, 'id' | 'name' | 'createdAt'> &
      Partial<Pick<OrganizationRecord, 'maxBrowserSessions' | 'maxActiveRuns'>>,
  ): Promise<void>;
  /** Oldest first. */
  organizations(): Promise<OrganizationRecord[]>;
  /** The first organization created (the one first start makes). */
  firstOrganization(): Promise<OrganizationRecord | null>;
  organization(id: string): Promise<OrganizationRecord | null>;
  organizationByName(name: string): Promise<OrganizationRecord | null>;
  /** A field left undefined keeps its value, null restores the default. */
  setQuotas(
    id: string,
    quotas: { maxBrowserSessions?: number | null; maxActiveRuns?: number | null },
  ): Promise<void>;
}

/** What the functions below take: the store (or anything holding the port). */
export interface ApiKeyRecords {
  apiKeys: ApiKeyPort;
}

export const API_KEY_FILE = 'api-key';

export function generateApiKey(): string {
  return `wren_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export interface KeyOptions {
  /** May create organizations and mint or revoke keys (docs/security.md). */
  admin?: boolean;
  /** env (WREN_API_KEY) | generated (first start) | api | cli. */
  source?: string | null;
}

/** Stores a key (hashed); false when a key with the same value exists already, revoked or not. */
export async function addApiKey(
  store: ApiKeyRecords,
  organizationId: string,
  key: string,
  label: string | null = null,
  options: KeyOptions = {},
): Promise<boolean> {
  return store.apiKeys.insert({
    id: newId('key'),
    organizationId,
    keyHash: hashApiKey(key),
    keyPrefix: key.slice(0, 9),
    label,
    createdAt: new Date().toISOString(),
    admin: options.admin ?? false,
    source: options.source ?? null,
  });
}

/**
 * Creates a new random key for an organization (the default one when omitted) and returns it.
 * An ordinary key unless `options.admin`.
 */
export async function createApiKey(
  store: ApiKeyRecords,
  organizationId?: string,
  label: string | null = null,
  options: KeyOptions = {},
): Promise<string> {
  const orgId = organizationId ?? (await ensureDefaultOrganization(store)).id;
  const key = generateApiKey();
  await addApiKey(store, orgId, key, label, options);
  return key;
}

export async function ensureDefaultOrganization(store: ApiKeyRecords): Promise<Organization> {
  const existing = await store.apiKeys.firstOrganization();
  if (existing) return existing;
  const org = { id: newId('o'), name: 'default', createdAt: new Date().toISOString() };
  await store.apiKeys.createOrganization(org);
  return org;
}

export interface BootstrapResult {
  organization: Organization;
  /** A key generated on this start (first start only); the caller prints it once. */
  generatedKey: string | null;
  keyFile: string | null;
  /** Ids of earlier WREN_API_KEY keys this start revoked because the variable changed. */
  retiredKeyIds: string[];
}

/**
 * Makes sure an organization and a usable key exist: WREN_API_KEY (when set) is an admin key of
 * the default organization, and any earlier, different WREN_API_KEY is revoked; when no key
 * exists at all, an admin key is generated and written to <dataDir>/api-key with mode 0600.
 * A WREN_API_KEY that was revoked through the API stays revoked.
 */
export async function bootstrapAuth(
  store: ApiKeyRecords,
  options: { dataDir: string; seedApiKey: string | null },
): Promise<BootstrapResult> {
  const organization = await ensureDefaultOrganization(store);
  let retiredKeyIds: string[] = [];
  if (options.seedApiKey) {
    await addApiKey(store, organization.id, options.seedApiKey, 'WREN_API_KEY', {
      admin: true,
      source: 'env',
    });
    retiredKeyIds = await store.apiKeys.retireEnvKeys(
      hashApiKey(options.seedApiKey),
      new Date().toISOString(),
    );
  }
  if ((await store.apiKeys.count()) > 0)
    return { organization, generatedKey: null, keyFile: null, retiredKeyIds };
  const key = await createApiKey(store, organization.id, 'generated on first start', {
    admin: true,
    source: 'generated',
  });
  const keyFile = join(options.dataDir, API_KEY_FILE);
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  return { organization, generatedKey: key, keyFile, retiredKeyIds };
}

/**
 * Resolves x-api-key values to their organization and role. No cache: one indexed lookup per
 * request, so a revoked key is refused at once by every process sharing the database
 * (docs/decisions.md, "Revocation without a cache").
 */
export class ApiKeyAuthenticator {
  constructor(private readonly store: ApiKeyRecords) {}

  async identify(key: string | undefined): Promise<KeyIdentity | null> {
    if (!key) return null;
    return this.store.apiKeys.identityForHash(hashApiKey(key));
  }

  async authenticate(key: string | undefined): Promise<Organization | null> {
    return (await this.identify(key))?.organization ?? null;
  }
}

/** A key as the API shows it: the prefix only, never the key or its hash. */
export interface ApiKeyView {
  id: string;
  organization_id: string;
  prefix: string;
  label: string | null;
  admin: boolean;
  created_at: string;
  revoked_at: string | null;
}

export interface OrganizationView {
  organization_id: string;
  name: string;
  created_at: string;
  /** The limits in force (the override, else the server default). */
  max_browser_sessions: number;
  max_active_runs: number;
  /** The organization's own overrides; null: the server default applies. */
  overrides: { max_browser_sessions: number | null; max_active_runs: number | null };
}

export interface QuotaDefaults {
  maxBrowserSessions: number;
  maxActiveRuns: number;
}

const keyView = (k: ApiKeySummary): ApiKeyView => ({
  id: k.id,
  organization_id: k.organizationId,
  prefix: k.prefix,
  label: k.label,
  admin: k.admin,
  created_at: k.createdAt,
  revoked_at: k.revokedAt,
});

/**
 * Organizations and keys for the admin API, the CLI and the Settings page. Authorization (who may
 * call what) is the caller's: the routes check the admin flag, the CLI has the database.
 */
export class KeyAdmin {
  constructor(
    private readonly store: ApiKeyRecords,
    private readonly defaults: QuotaDefaults,
  ) {}

  organizationView(org: OrganizationRecord): OrganizationView {
    return {
      organization_id: org.id,
      name: org.name,
      created_at: org.createdAt,
      max_browser_sessions: org.maxBrowserSessions ?? this.defaults.maxBrowserSessions,
      max_active_runs: org.maxActiveRuns ?? this.defaults.maxActiveRuns,
      overrides: {
        max_browser_sessions: org.maxBrowserSessions,
        max_active_runs: org.maxActiveRuns,
      },
    };
  }

  async organization(id: string): Promise<OrganizationView> {
    const org = await this.store.apiKeys.organization(id);
    if (!org) throw new ServiceError(404, `Organization ${id} not found`);
    return this.organizationView(org);
  }

  /** An organization by id or, failing that, by name (the CLI's --org). */
  async findOrganization(idOrName: string): Promise<OrganizationView> {
    const keys = this.store.apiKeys;
    const org = (await keys.organization(idOrName)) ?? (await keys.organizationByName(idOrName));
    if (!org) throw new ServiceError(404, `Organization ${idOrName} not found (by id or name)`);
    return this.organizationView(org);
  }

  async organizations(): Promise<OrganizationView[]> {
    return (await this.store.apiKeys.organizations()).map((o) => this.organizationView(o));
  }

  /** A new organization and its first key (an ordinary key unless `admin`). */
  async createOrganization(input: {
    name: string;
    maxBrowserSessions?: number | null;
    maxActiveRuns?: number | null;
    label?: string | null;
    admin?: boolean;
    source: string;
  }): Promise<{ organization: OrganizationView; apiKey: string; key: ApiKeyView }> {
    const name = input.name.trim();
    if (!name) throw new ServiceError(400, 'name: must not be empty');
    if (await this.store.apiKeys.organizationByName(name))
      throw new ServiceError(409, `name: an organization named "${name}" exists already`);
    const id = newId('o');
    await this.store.apiKeys.createOrganization({
      id,
      name,
      createdAt: new Date().toISOString(),
      maxBrowserSessions: input.maxBrowserSessions ?? null,
      maxActiveRuns: input.maxActiveRuns ?? null,
    });
    const created = await this.createKey(id, {
      label: input.label ?? 'first key',
      admin: input.admin ?? false,
      source: input.source,
    });
    return { organization: await this.organization(id), ...created };
  }

  async setQuotas(
    id: string,
    quotas: { maxBrowserSessions?: number | null; maxActiveRuns?: number | null },
  ): Promise<OrganizationView> {
    await this.organization(id);
    await this.store.apiKeys.setQuotas(id, quotas);
    return this.organization(id);
  }

  async listKeys(organizationId: string): Promise<ApiKeyView[]> {
    return (await this.store.apiKeys.list(organizationId)).map(keyView);
  }

  async key(keyId: string): Promise<ApiKeyView> {
    const key = await this.store.apiKeys.get(keyId);
    if (!key) throw new ServiceError(404, `API key ${keyId} not found`);
    return keyView(key);
  }

  async createKey(
    organizationId: string,
    options: { label: string | null; admin: boolean; source: string },
  ): Promise<{ apiKey: string; key: ApiKeyView }> {
    if (!(await this.store.apiKeys.organization(organizationId)))
      throw new ServiceError(404, `organization_id: organization ${organizationId} not found`);
    const apiKey = generateApiKey();
    const id = newId('key');
    await this.store.apiKeys.insert({
      id,
      organizationId,
      keyHash: hashApiKey(apiKey),
      keyPrefix: apiKey.slice(0, 9),
      label: options.label,
      createdAt: new Date().toISOString(),
      admin: options.admin,
      source: options.source,
    });
    return { apiKey, key: await this.key(id) };
  }

  /** Revokes a key at once (idempotent: a revoked key keeps its first revocation time). */
  async revokeKey(keyId: string): Promise<ApiKeyView> {
    await this.key(keyId);
    await this.store.apiKeys.revoke(keyId, new Date().toISOString());
    return this.key(keyId);
  }

  /** A new key with the same organization, label and role; the old one is revoked. */
  async rotateKey(keyId: string, source: string): Promise<{ apiKey: string; key: ApiKeyView }> {
    const old = await this.key(keyId);
    if (old.revoked_at)
      throw new ServiceError(409, `API key ${keyId} is revoked already; create a new key instead`);
    const created = await this.createKey(old.organization_id, {
      label: old.label,
      admin: old.admin,
      source,
    });
    await this.store.apiKeys.revoke(keyId, new Date().toISOString());
    return created;
  }
}

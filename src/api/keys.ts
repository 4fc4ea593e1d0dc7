/**
 * API keys: opaque random strings shown once, stored only as SHA-256 hashes. Each key belongs to
 * an organization. First start creates a default organization and key.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { newId } from '../core/index.js';
import type { Organization, Store } from '../store/index.js';

export const API_KEY_FILE = 'api-key';

export function generateApiKey(): string {
  return `wren_${randomBytes(32).toString('base64url')}`;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export async function addApiKey(
  store: Store,
  organizationId: string,
  key: string,
  label: string | null = null,
): Promise<void> {
  await store.insertApiKey({
    id: newId('key'),
    organizationId,
    keyHash: hashApiKey(key),
    keyPrefix: key.slice(0, 9),
    label,
    createdAt: new Date().toISOString(),
  });
}

/** Creates a new random key for an organization (the default one when omitted) and returns it. */
export async function createApiKey(
  store: Store,
  organizationId?: string,
  label: string | null = null,
): Promise<string> {
  const orgId = organizationId ?? (await ensureDefaultOrganization(store)).id;
  const key = generateApiKey();
  await addApiKey(store, orgId, key, label);
  return key;
}

export async function ensureDefaultOrganization(store: Store): Promise<Organization> {
  const existing = await store.firstOrganization();
  if (existing) return existing;
  const org = { id: newId('o'), name: 'default', createdAt: new Date().toISOString() };
  await store.createOrganization(org);
  return org;
}

export interface BootstrapResult {
  organization: Organization;
  /** A key generated on this start (first start only); the caller prints it once. */
  generatedKey: string | null;
  keyFile: string | null;
}

/**
 * Makes sure an organization and a usable key exist: WREN_API_KEY (when set) is accepted for the
 * default organization; when no key exists at all, one is generated and written to
 * <dataDir>/api-key with mode 0600.
 */
export async function bootstrapAuth(
  store: Store,
  options: { dataDir: string; seedApiKey: string | null },
): Promise<BootstrapResult> {
  const organization = await ensureDefaultOrganization(store);
  if (options.seedApiKey)
    await addApiKey(store, organization.id, options.seedApiKey, 'WREN_API_KEY');
  if ((await store.countApiKeys()) > 0) return { organization, generatedKey: null, keyFile: null };
  const key = await createApiKey(store, organization.id, 'generated on first start');
  const keyFile = join(options.dataDir, API_KEY_FILE);
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  return { organization, generatedKey: key, keyFile };
}

/** Resolves x-api-key values to organizations, caching hits for a minute. */
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { org: Organization; until: number }>();

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 60_000,
  ) {}

  async authenticate(key: string | undefined): Promise<Organization | null> {
    if (!key) return null;
    const hash = hashApiKey(key);
    const hit = this.cache.get(hash);
    if (hit && hit.until > Date.now()) return hit.org;
    const org = await this.store.organizationForKeyHash(hash);
    if (org) this.cache.set(hash, { org, until: Date.now() + this.ttlMs });
    else this.cache.delete(hash);
    return org;
  }
}

export const INVALID_CREDENTIALS = { detail: 'Invalid credentials' };

/** The x-api-key header of a request (its first value when repeated). */
export function apiKeyHeader(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  return Array.isArray(header) ? header[0] : header;
}

/** An onRequest hook: 403 without a valid x-api-key, else `request.organization` is set. */
export function requireApiKey(auth: ApiKeyAuthenticator) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const organization = await auth.authenticate(apiKeyHeader(request));
    if (!organization) return reply.code(403).send(INVALID_CREDENTIALS);
    request.organization = organization;
  };
}

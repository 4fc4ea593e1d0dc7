/**
 * The operator's organization and key actions behind `wren orgs` and `wren keys`, in two modes:
 * on the database directly (`--data-dir` or WREN_DATABASE_URL: whoever can open it already has
 * the data, so no key is needed) or over a running server's admin API (`--server URL` with an
 * admin key from `--api-key` or WREN_API_KEY), for operators without access to the database.
 * Both print the same JSON.
 */

import { ConfigError, loadConfig } from '../config.js';
import type { ApiKeyView, OrganizationView } from '../credentials/index.js';
import { WrenApiError } from '../sdk/index.js';

export interface QuotaPatch {
  maxBrowserSessions?: number | null;
  maxActiveRuns?: number | null;
}

export interface NewOrganization {
  name: string;
  maxBrowserSessions: number | null;
  maxActiveRuns: number | null;
  admin: boolean;
}

/** A key as shown once at creation: the key itself and its listing fields. */
export type CreatedKey = { api_key: string } & Omit<ApiKeyView, 'revoked_at'>;

export interface Operator {
  /** A new key (printed once); `org` is an id or name, else the default organization. */
  createKey(
    org: string | undefined,
    options: { label: string | null; admin: boolean },
  ): Promise<string>;
  listKeys(org: string | undefined): Promise<ApiKeyView[]>;
  revokeKey(keyId: string): Promise<ApiKeyView>;
  rotateKey(keyId: string): Promise<CreatedKey>;
  createOrganization(input: NewOrganization): Promise<{
    organization: OrganizationView;
    api_key: string;
    key: Omit<ApiKeyView, 'revoked_at'>;
  }>;
  organizations(): Promise<OrganizationView[]>;
  setQuotas(org: string, quotas: QuotaPatch): Promise<OrganizationView>;
  close(): Promise<void>;
}

export interface OperatorOptions {
  dataDir?: string;
  server?: string;
  apiKey?: string;
}

/** The operator for the command's options: over HTTP with --server, else on the database. */
export async function openOperator(options: OperatorOptions): Promise<Operator> {
  if (options.server) {
    if (!options.apiKey)
      throw new ConfigError('--server needs an admin key: --api-key (or WREN_API_KEY)');
    return httpOperator(options.server, options.apiKey);
  }
  return databaseOperator(options.dataDir);
}

/** Runs `work` with an operator and closes it; service errors become plain CLI errors. */
export async function withOperator(
  options: OperatorOptions,
  work: (operator: Operator) => Promise<unknown>,
): Promise<void> {
  const operator = await openOperator(options);
  const { ServiceError } = await import('../core/index.js');
  try {
    await work(operator);
  } catch (error) {
    if (error instanceof ServiceError) throw new ConfigError(error.message);
    throw error;
  } finally {
    await operator.close();
  }
}

async function databaseOperator(dataDir: string | undefined): Promise<Operator> {
  const config = loadConfig({ dataDir });
  // From credentials/, not the api/ re-export: that would load the whole HTTP API (Fastify, every
  // route, the MCP server), ~2 s of CPU per `wren orgs`/`wren keys` call on a busy machine.
  const [{ KeyAdmin, createApiKey, ensureDefaultOrganization }, { openStore }] = await Promise.all([
    import('../credentials/index.js'),
    import('../store/index.js'),
  ]);
  const store = await openStore({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  const admin = new KeyAdmin(store, config.quotas);
  const orgId = async (org: string | undefined) =>
    org
      ? (await admin.findOrganization(org)).organization_id
      : (await ensureDefaultOrganization(store)).id;
  return {
    createKey: async (org, options) =>
      createApiKey(store, org ? await orgId(org) : undefined, options.label, {
        admin: options.admin,
        source: 'cli',
      }),
    listKeys: async (org) => admin.listKeys(await orgId(org)),
    revokeKey: (keyId) => admin.revokeKey(keyId),
    rotateKey: async (keyId) => {
      const { apiKey, key } = await admin.rotateKey(keyId, 'cli');
      const { revoked_at: _, ...shown } = key;
      return { api_key: apiKey, ...shown };
    },
    createOrganization: async (input) => {
      const created = await admin.createOrganization({ ...input, source: 'cli' });
      const { revoked_at: _, ...key } = created.key;
      return { organization: created.organization, api_key: created.apiKey, key };
    },
    organizations: () => admin.organizations(),
    setQuotas: async (org, quotas) => admin.setQuotas(await orgId(org), quotas),
    close: () => store.close(),
  };
}

function httpOperator(server: string, apiKey: string): Operator {
  const base = server.replace(/\/+$/, '');
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${base}/v1${path}`, {
      method,
      headers: {
        'x-api-key': apiKey,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    if (!res.ok) throw new WrenApiError(res.status, (json as { detail?: unknown })?.detail ?? json);
    return json as T;
  };
  /** An organization id from an id or a name (the admin list), as the database mode finds it. */
  const orgId = async (org: string): Promise<string> => {
    const all = await call<OrganizationView[]>('GET', '/organizations');
    const found = all.find((o) => o.organization_id === org) ?? all.find((o) => o.name === org);
    if (!found) throw new ConfigError(`Organization ${org} not found (by id or name)`);
    return found.organization_id;
  };
  const quotaBody = (q: QuotaPatch) => ({
    ...(q.maxBrowserSessions !== undefined ? { max_browser_sessions: q.maxBrowserSessions } : {}),
    ...(q.maxActiveRuns !== undefined ? { max_active_runs: q.maxActiveRuns } : {}),
  });
  return {
    // Without --org: the admin key's own organization (WREN_API_KEY's is the default one).
    createKey: async (org, options) =>
      (
        await call<CreatedKey>('POST', '/api_keys', {
          ...(org ? { organization_id: await orgId(org) } : {}),
          ...(options.label ? { label: options.label } : {}),
          admin: options.admin,
        })
      ).api_key,
    listKeys: async (org) =>
      call<ApiKeyView[]>(
        'GET',
        org ? `/api_keys?organization_id=${encodeURIComponent(await orgId(org))}` : '/api_keys',
      ),
    revokeKey: (keyId) => call<ApiKeyView>('POST', `/api_keys/${encodeURIComponent(keyId)}/revoke`),
    rotateKey: (keyId) => call<CreatedKey>('POST', `/api_keys/${encodeURIComponent(keyId)}/rotate`),
    createOrganization: async (input) => {
      const created = await call<{ organization: OrganizationView; api_key: CreatedKey }>(
        'POST',
        '/organizations',
        {
          name: input.name,
          ...quotaBody(input),
          admin_key: input.admin,
        },
      );
      const { api_key, ...key } = created.api_key;
      return { organization: created.organization, api_key, key };
    },
    organizations: () => call<OrganizationView[]>('GET', '/organizations'),
    setQuotas: async (org, quotas) =>
      call<OrganizationView>(
        'PATCH',
        `/organizations/${encodeURIComponent(await orgId(org))}`,
        quotaBody(quotas),
      ),
    close: async () => {},
  };
}

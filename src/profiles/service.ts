/**
 * Browser profiles: a saved browser state (cookies, localStorage, IndexedDB) that runs and
 * sessions start from, in Skyvern's `/v1/browser_profiles` shapes. The state is sealed with the
 * SecretBox like credentials (it holds login cookies) and bound to its profile id, so a blob
 * copied onto another row does not open. Every call is scoped to one organization.
 */
import type { Logger } from 'pino';
import {
  EMPTY_BROWSER_STATE,
  isStoredBrowserState,
  type StoredBrowserState,
} from '../browser/index.js';
import type { BrowserProfileResponse } from '../contract/index.js';
import { newId, ServiceError } from '../core/index.js';
import {
  openProxyLocation,
  profileProxyContext,
  type SecretBox,
  sealProxyLocation,
  shownProxyLocation,
} from '../credentials/index.js';
import type { SessionManager } from '../sessions/index.js';
import type {
  BrowserProfileRecord,
  BrowserSessionRecord,
  SessionProfileLink,
  Store,
} from '../store/index.js';

export interface ProfileServiceOptions {
  store: Store;
  box: SecretBox;
  logger: Logger;
  /** Live sessions a profile can be made from; without it only blank profiles. */
  sessions?: SessionManager;
}

export interface CreateProfileInput {
  name: string;
  browser_session_id?: string | null;
  workflow_run_id?: string | null;
  proxy_location?: unknown;
  proxy_session_id?: string | null;
}

export interface UpdateProfileInput {
  name?: string | null;
  proxy_location?: unknown;
  proxy_session_id?: string | null;
}

export interface ListProfilesInput {
  page: number;
  page_size: number;
  include_deleted: boolean;
  search_key?: string;
  managed?: boolean;
}

const stateContext = (profileId: string) => `browser_profile:${profileId}:state`;
const sessionContext = (sessionId: string) => `browser_session:${sessionId}:profile_state`;

/** Loads and saves a profile's state for runs (src/engines/services.ts). */
export interface ProfileStates {
  /** The profile's state, or null when it no longer exists (deleted meanwhile). */
  load(organizationId: string, profileId: string): Promise<StoredBrowserState | null>;
  /** Replaces the profile's state; false when it no longer exists. */
  save(organizationId: string, profileId: string, state: StoredBrowserState): Promise<boolean>;
}

export class ProfileService implements ProfileStates {
  constructor(private readonly options: ProfileServiceOptions) {}

  private get profiles() {
    return this.options.store.browserProfiles;
  }

  private seal(profileId: string, state: StoredBrowserState): string {
    return this.options.box.seal(JSON.stringify(state), stateContext(profileId));
  }

  private open(sealed: string, context: string): StoredBrowserState {
    const parsed: unknown = JSON.parse(this.options.box.open(sealed, context));
    if (!isStoredBrowserState(parsed)) throw new Error('stored browser state has a bad shape');
    return parsed;
  }

  private sealProxy(profileId: string, location: unknown): unknown {
    return sealProxyLocation(location, this.options.box, profileProxyContext(profileId));
  }

  /** The profile's proxy_location with its password, for starting a browser with it. */
  proxyLocationOf(p: BrowserProfileRecord): unknown {
    return openProxyLocation(p.proxyLocation, this.options.box, profileProxyContext(p.id));
  }

  present(p: BrowserProfileRecord): BrowserProfileResponse {
    return {
      browser_profile_id: p.id,
      organization_id: p.organizationId,
      name: p.name,
      source_browser_type: p.sourceBrowserType,
      proxy_location: shownProxyLocation(p.proxyLocation) ?? null,
      proxy_session_id: p.proxySessionId,
      is_managed: false,
      workflow_permanent_id: null,
      browser_profile_key_digest: null,
      created_at: p.createdAt,
      modified_at: p.modifiedAt,
      deleted_at: p.deletedAt,
    };
  }

  private async assertNameFree(organizationId: string, name: string, self?: string) {
    const taken = await this.profiles.byName(organizationId, name);
    if (taken && taken.id !== self) {
      throw new ServiceError(409, `Browser profile name already exists: ${JSON.stringify(name)}`);
    }
  }

  /** A blank profile, or one holding a browser session's cookies and storage. */
  async create(organizationId: string, input: CreateProfileInput): Promise<BrowserProfileRecord> {
    if (input.workflow_run_id) {
      throw new ServiceError(
        400,
        'workflow_run_id: Wren has no workflow runs; create the profile from a browser_session_id',
      );
    }
    await this.assertNameFree(organizationId, input.name);
    let state = EMPTY_BROWSER_STATE;
    let source: string | null = null;
    if (input.browser_session_id) {
      state = await this.sessionState(organizationId, input.browser_session_id);
      source = 'chromium';
    }
    const id = newId('bp');
    const at = new Date().toISOString();
    const record: BrowserProfileRecord = {
      id,
      organizationId,
      name: input.name,
      stateSealed: this.seal(id, state),
      sourceBrowserType: source,
      proxyLocation: this.sealProxy(id, input.proxy_location ?? null),
      proxySessionId: input.proxy_session_id ?? null,
      createdAt: at,
      modifiedAt: at,
      deletedAt: null,
    };
    await this.profiles.insert(record);
    this.options.logger.info(
      {
        browser_profile_id: id,
        from_session: input.browser_session_id ?? null,
        cookies: state.cookies.length,
        origins: state.origins.length,
      },
      'browser profile created',
    );
    return record;
  }

  /**
   * A session's state: captured now when it runs, else the state it kept when it ended
   * (generate_browser_profile). 400 when neither exists, as Skyvern answers.
   */
  private async sessionState(
    organizationId: string,
    sessionId: string,
  ): Promise<StoredBrowserState> {
    const sessions = this.options.sessions;
    const record = sessions
      ? await sessions.get(organizationId, sessionId).catch(() => null)
      : null;
    if (!sessions || !record) {
      throw new ServiceError(400, `browser_session_id: browser session ${sessionId} not found`);
    }
    if (record.status === 'running') return sessions.captureState(organizationId, sessionId);
    const link = await this.profiles.sessionLink(organizationId, sessionId);
    if (link?.stateSealed) return this.open(link.stateSealed, sessionContext(sessionId));
    throw new ServiceError(
      400,
      `browser_session_id: session ${sessionId} has ended (status ${record.status}) without ` +
        'keeping its state; create the profile while it runs, or set generate_browser_profile',
    );
  }

  async list(organizationId: string, q: ListProfilesInput): Promise<BrowserProfileRecord[]> {
    // Wren manages no profiles on its own: managed=true finds none.
    if (q.managed === true) return [];
    return this.profiles.list(organizationId, {
      includeDeleted: q.include_deleted,
      ...(q.search_key ? { search: q.search_key } : {}),
      limit: q.page_size,
      offset: (q.page - 1) * q.page_size,
    });
  }

  async get(organizationId: string, id: string): Promise<BrowserProfileRecord> {
    const record = await this.profiles.get(organizationId, id);
    if (!record) throw new ServiceError(404, `Browser profile ${id} not found`);
    return record;
  }

  async update(
    organizationId: string,
    id: string,
    input: UpdateProfileInput,
  ): Promise<BrowserProfileRecord> {
    await this.get(organizationId, id);
    if (input.name) await this.assertNameFree(organizationId, input.name, id);
    await this.profiles.update(organizationId, id, {
      modifiedAt: new Date().toISOString(),
      ...(input.name ? { name: input.name } : {}),
      ...(input.proxy_location !== undefined
        ? { proxyLocation: this.sealProxy(id, input.proxy_location) }
        : {}),
      ...(input.proxy_session_id !== undefined ? { proxySessionId: input.proxy_session_id } : {}),
    });
    return this.get(organizationId, id);
  }

  /** Soft delete (as Skyvern): the row stays for include_deleted, its state is dropped. */
  async delete(organizationId: string, id: string): Promise<void> {
    if (!(await this.profiles.softDelete(organizationId, id, new Date().toISOString()))) {
      throw new ServiceError(404, `Browser profile ${id} not found`);
    }
    this.options.logger.info({ browser_profile_id: id }, 'browser profile deleted');
  }

  async load(organizationId: string, profileId: string): Promise<StoredBrowserState | null> {
    const record = await this.profiles.get(organizationId, profileId);
    if (!record?.stateSealed) return null;
    return this.open(record.stateSealed, stateContext(profileId));
  }

  async save(
    organizationId: string,
    profileId: string,
    state: StoredBrowserState,
  ): Promise<boolean> {
    return this.profiles.update(organizationId, profileId, {
      stateSealed: this.seal(profileId, state),
      modifiedAt: new Date().toISOString(),
    });
  }

  // ── sessions ────────────────────────────────────────────────────────────────

  /** What a session response shows of its profile link. */
  async sessionLink(organizationId: string, sessionId: string): Promise<SessionProfileLink | null> {
    return this.profiles.sessionLink(organizationId, sessionId);
  }

  /** Records a new session's profile and whether it keeps its state at close. */
  async linkSession(
    organizationId: string,
    sessionId: string,
    profileId: string | null,
    generate: boolean,
  ): Promise<void> {
    if (!profileId && !generate) return;
    await this.profiles.linkSession({
      sessionId,
      organizationId,
      browserProfileId: profileId,
      generateBrowserProfile: generate,
      stateSealed: null,
      savedAt: null,
    });
  }

  async setGenerate(organizationId: string, sessionId: string, generate: boolean): Promise<void> {
    await this.profiles.updateSessionLink(organizationId, sessionId, {
      generateBrowserProfile: generate,
    });
  }

  /**
   * A session is ending (its browser still open): with generate_browser_profile its state is
   * kept for a later POST /v1/browser_profiles; started from a profile, the state is written
   * back into that profile.
   */
  async sessionEnding(
    record: BrowserSessionRecord,
    capture: () => Promise<StoredBrowserState>,
  ): Promise<void> {
    const link = await this.profiles.sessionLink(record.organizationId, record.id);
    if (!link || (!link.generateBrowserProfile && !link.browserProfileId)) return;
    const state = await capture();
    if (link.generateBrowserProfile) {
      await this.profiles.updateSessionLink(record.organizationId, record.id, {
        stateSealed: this.options.box.seal(JSON.stringify(state), sessionContext(record.id)),
        savedAt: new Date().toISOString(),
      });
    }
    if (link.browserProfileId) {
      const saved = await this.save(record.organizationId, link.browserProfileId, state);
      this.options.logger.info(
        { browser_session_id: record.id, browser_profile_id: link.browserProfileId, saved },
        saved
          ? 'session state saved into its browser profile'
          : 'the session profile was deleted meanwhile; state not saved',
      );
    }
  }
}

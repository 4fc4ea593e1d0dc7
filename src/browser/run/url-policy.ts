/**
 * The navigation policy applied to URLs the agent asks for (goto, download by URL, fetched
 * uploads): scheme, metadata and private addresses, and what the host name resolves to.
 */
import {
  type APIRequestContext,
  type APIResponse,
  type BrowserContext,
  request,
} from 'playwright-core';
import { type EgressPolicy, type EgressProxy, startEgressProxy } from '../../net/index.js';
import { asPolicy, checkNavigationTarget, type HostResolver } from '../url-guard.js';

export interface UrlPolicyOptions {
  /** Default false: private and loopback addresses refused (the app passes config.egress). */
  allowPrivateNetworks?: boolean;
  /** The full egress policy; wins over allowPrivateNetworks. */
  egress?: EgressPolicy;
  /** Resolver for the DNS check (tests replace it); the system's by default. */
  resolveHost?: HostResolver;
  /**
   * The context is not behind Wren's egress proxy (a browser over CDP): fetch through an egress
   * proxy of its own, so no connection goes to an address other than the one checked.
   */
  pinFetches?: boolean;
  extraHttpHeaders?: Record<string, string>;
}

export class UrlPolicy {
  private egress: Promise<EgressProxy> | null = null;
  private readonly clients = new Set<APIRequestContext>();

  constructor(
    private readonly context: BrowserContext,
    private readonly options: UrlPolicyOptions,
    /** Rewrites what the agent wrote before the check (link aliases of the last observation). */
    private readonly expand: (text: string) => string = (text) => text,
  ) {}

  /** The URL an agent asked for, once it passes the policy. */
  async check(raw: string): Promise<string> {
    const policy = this.options.egress ?? this.options.allowPrivateNetworks;
    return (
      await checkNavigationTarget(this.expand(raw), policy ?? false, this.options.resolveHost)
    ).href;
  }

  /**
   * GET through the context's request API (the run's cookies) with every redirect hop checked
   * against the policy: that request is made by Playwright, not by Chromium, so the browser's
   * resolver rules do not cover it.
   */
  async fetch(
    raw: string,
    options: { timeoutMs: number; maxRedirects: number },
  ): Promise<{ url: string; response: APIResponse }> {
    let url = await this.check(raw);
    const client = this.options.pinFetches ? await this.pinnedClient() : this.context.request;
    for (let hop = 0; ; hop++) {
      const response = await client.get(url, {
        timeout: options.timeoutMs,
        maxRedirects: 0,
      });
      const location = response.headers()['location'];
      if (response.status() < 300 || response.status() >= 400 || !location) {
        return { url, response };
      }
      if (hop >= options.maxRedirects) throw new Error(`too many redirects (${url})`);
      await response.dispose();
      url = await this.check(new URL(location, url).href);
    }
  }

  /**
   * A request client with the context's cookies behind an egress proxy: the check above resolves
   * the name once and Playwright would resolve it again (DNS rebinding); the proxy connects only
   * to the address it checked.
   */
  private async pinnedClient(): Promise<APIRequestContext> {
    if (!this.egress) {
      const policy = asPolicy(this.options.egress ?? this.options.allowPrivateNetworks ?? false);
      this.egress = startEgressProxy({
        policy: this.options.resolveHost
          ? { ...policy, resolve: this.options.resolveHost }
          : policy,
      });
    }
    const egress = await this.egress;
    const client = await request.newContext({
      proxy: { server: egress.url },
      // Cookies only: storageState() would also visit every origin the run saw for its storage.
      storageState: { cookies: await this.context.cookies(), origins: [] },
      ...(this.options.extraHttpHeaders ? { extraHTTPHeaders: this.options.extraHttpHeaders } : {}),
    });
    this.clients.add(client);
    return client;
  }

  /** Disposes the pinned clients and their proxy (the run is closing). */
  async close(): Promise<void> {
    await Promise.all([...this.clients].map((c) => c.dispose().catch(() => {})));
    this.clients.clear();
    const egress = this.egress;
    this.egress = null;
    await (await egress?.catch(() => null))?.close();
  }
}

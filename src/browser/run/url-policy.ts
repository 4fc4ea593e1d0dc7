/**
 * The navigation policy applied to URLs the agent asks for (goto, download by URL, fetched
 * uploads): scheme, metadata and private addresses, and what the host name resolves to.
 */
import type { APIResponse, BrowserContext } from 'playwright-core';
import type { EgressPolicy } from '../../net/index.js';
import { checkNavigationTarget, type HostResolver } from '../url-guard.js';

export interface UrlPolicyOptions {
  /** Default false: private and loopback addresses refused (the app passes config.egress). */
  allowPrivateNetworks?: boolean;
  /** The full egress policy; wins over allowPrivateNetworks. */
  egress?: EgressPolicy;
  /** Resolver for the DNS check (tests replace it); the system's by default. */
  resolveHost?: HostResolver;
}

export class UrlPolicy {
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
    for (let hop = 0; ; hop++) {
      const response = await this.context.request.get(url, {
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
}

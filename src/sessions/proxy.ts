/**
 * Proxy routing: a configuration file (WREN_PROXY_CONFIG, JSON or YAML) maps locations to proxy
 * pools; each run (or session) takes the next proxy of its pool, and the browser's timezone,
 * locale and geolocation follow the location. See docs/proxies.md.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { maskUrlPassword } from '../core/index.js';
import { type GeoProfile, geoProfileFor } from './geo.js';

export interface ProxyServer {
  server: string;
  username?: string;
  password?: string;
  bypass?: string;
  /**
   * From the operator's WREN_PROXY_CONFIG: its own address may be private. A caller's
   * `proxy_location: {url}` is not trusted and must pass the egress policy.
   */
  trusted?: boolean;
}

export interface ProxyConfig {
  /** Pool name (a proxy_location value, a country code like JP, or US-CA) → proxies. */
  pools: Record<string, ProxyServer[]>;
}

/** What a run's or session's browser gets for its proxy_location. */
export interface ProxyRoute {
  proxy: ProxyServer | null;
  geo: GeoProfile | null;
  /** The pool the proxy came from (for logs), or why there is none. */
  source: string;
}

/** A route as browser launch options: the proxy, and the location's timezone, locale and position. */
export function browserOptionsFor(route: ProxyRoute): {
  proxy?: ProxyServer;
  timezoneId?: string;
  locale?: string;
  geolocation?: GeoProfile['geolocation'];
} {
  return {
    ...(route.proxy ? { proxy: route.proxy } : {}),
    ...(route.geo
      ? {
          timezoneId: route.geo.timezoneId,
          locale: route.geo.locale,
          geolocation: route.geo.geolocation,
        }
      : {}),
  };
}

/** The request asked for a location this server cannot serve: a 400 for the caller. */
export class ProxyUnavailableError extends Error {
  override readonly name = 'ProxyUnavailableError';
}

export class ProxyConfigError extends Error {
  override readonly name = 'ProxyConfigError';
}

/** Parses `http://user:pass@host:port` (or socks5://…) into Playwright's proxy shape. */
export function parseProxyUrl(raw: string): ProxyServer {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ProxyConfigError(`not a proxy URL: ${JSON.stringify(redactProxyUrl(raw))}`);
  }
  if (!/^(https?|socks[45]?):$/.test(url.protocol) || !url.hostname) {
    throw new ProxyConfigError(
      `proxy URL needs http, https or socks and a host: ${redactProxyUrl(raw)}`,
    );
  }
  const server = `${url.protocol}//${url.host}`;
  return {
    server,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}

/** The URL with its password replaced, safe for logs and errors. */
export function redactProxyUrl(raw: string): string {
  return maskUrlPassword(raw);
}

function poolEntry(entry: unknown, where: string): ProxyServer {
  return { ...poolServer(entry, where), trusted: true };
}

function poolServer(entry: unknown, where: string): ProxyServer {
  if (typeof entry === 'string') return parseProxyUrl(entry);
  if (entry && typeof entry === 'object') {
    const e = entry as Record<string, unknown>;
    if (typeof e['url'] === 'string') return parseProxyUrl(e['url']);
    if (typeof e['server'] === 'string') {
      const base = parseProxyUrl(e['server']);
      for (const k of ['username', 'password', 'bypass'] as const) {
        const v = e[k];
        if (v !== undefined && typeof v !== 'string')
          throw new ProxyConfigError(`${where}.${k} must be a string`);
        if (typeof v === 'string') base[k] = v;
      }
      return base;
    }
  }
  throw new ProxyConfigError(
    `${where} must be a proxy URL or {server, username?, password?, bypass?}`,
  );
}

/** Validates a parsed configuration document. */
export function parseProxyConfig(doc: unknown, source = 'proxy config'): ProxyConfig {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ProxyConfigError(`${source}: expected an object with "pools"`);
  }
  const root = doc as Record<string, unknown>;
  const rawPools = 'pools' in root ? root['pools'] : root;
  if (!rawPools || typeof rawPools !== 'object' || Array.isArray(rawPools)) {
    throw new ProxyConfigError(`${source}: "pools" must map locations to lists of proxies`);
  }
  const pools: Record<string, ProxyServer[]> = {};
  for (const [name, list] of Object.entries(rawPools)) {
    const entries = Array.isArray(list) ? list : [list];
    if (entries.length === 0) throw new ProxyConfigError(`${source}: pools.${name} is empty`);
    pools[name.toUpperCase()] = entries.map((e, i) =>
      poolEntry(e, `${source}: pools.${name}[${i}]`),
    );
  }
  return { pools };
}

/** Reads WREN_PROXY_CONFIG (JSON or YAML); null when unset. */
export function loadProxyConfig(env: Record<string, string | undefined>): ProxyConfig | null {
  const file = env['WREN_PROXY_CONFIG']?.trim();
  if (!file) return null;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ProxyConfigError(
      `WREN_PROXY_CONFIG: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  let doc: unknown;
  try {
    doc = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ProxyConfigError(
      `WREN_PROXY_CONFIG: ${file} is not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return parseProxyConfig(doc, `WREN_PROXY_CONFIG (${file})`);
}

interface Wanted {
  /** Pool names to try, in order. */
  pools: string[];
  geo: GeoProfile | null;
  label: string;
}

function wanted(location: unknown): Wanted | 'none' | ProxyServer | 'default' {
  if (location === null || location === undefined) return 'default';
  if (typeof location === 'string') {
    const loc = location.toUpperCase();
    if (loc === 'NONE') return 'none';
    if (loc === 'RESIDENTIAL') return 'default';
    if (loc === 'RESIDENTIAL_ISP') {
      return {
        pools: ['RESIDENTIAL_ISP', 'RESIDENTIAL', 'US'],
        geo: geoProfileFor('US'),
        label: loc,
      };
    }
    const state = /^US-([A-Z]{2})$/.exec(loc);
    if (state) {
      return {
        pools: [loc, 'RESIDENTIAL_ISP', 'RESIDENTIAL', 'US'],
        geo: geoProfileFor('US', state[1]),
        label: loc,
      };
    }
    const country = /^RESIDENTIAL_([A-Z]{2})$/.exec(loc)?.[1];
    if (country) return { pools: [loc, country], geo: geoProfileFor(country), label: loc };
    return { pools: [loc], geo: null, label: loc };
  }
  if (typeof location === 'object') {
    const o = location as Record<string, unknown>;
    if (typeof o['url'] === 'string' && o['country'] === undefined) return parseProxyUrl(o['url']);
    if (typeof o['country'] === 'string') {
      const cc = o['country'].toUpperCase();
      const sub =
        typeof o['subdivision'] === 'string'
          ? o['subdivision'].toUpperCase().replace(new RegExp(`^${cc}-`), '')
          : null;
      const pools = [
        ...(sub ? [`${cc}-${sub}`] : []),
        cc === 'US' ? 'RESIDENTIAL' : `RESIDENTIAL_${cc}`,
        cc,
      ];
      const city = typeof o['city'] === 'string' ? `/${o['city']}` : '';
      return { pools, geo: geoProfileFor(cc, sub), label: `${cc}${sub ? `-${sub}` : ''}${city}` };
    }
  }
  return { pools: [], geo: null, label: JSON.stringify(location) };
}

/**
 * True when `location` names a place or a proxy (anything but omitted, RESIDENTIAL and NONE): a
 * run asking for one cannot go to the server-wide browser, whose network Wren does not route.
 */
export function asksForProxyRoute(location: unknown): boolean {
  const w = wanted(location);
  return w !== 'none' && w !== 'default';
}

/**
 * Picks proxies for locations. Rotation is round-robin per pool, so consecutive runs of the same
 * location go out through different proxies of its pool.
 */
export class ProxyRouter {
  private readonly next = new Map<string, number>();

  constructor(readonly config: ProxyConfig | null) {}

  private take(pool: string): ProxyServer | null {
    const list = this.config?.pools[pool];
    if (!list || list.length === 0) return null;
    const i = this.next.get(pool) ?? 0;
    this.next.set(pool, (i + 1) % list.length);
    return list[i % list.length] ?? null;
  }

  /** True when `location` can be served (checked when the request arrives). */
  check(location: unknown): void {
    const w = wanted(location);
    if (w === 'none' || w === 'default' || 'server' in w) return;
    if (w.pools.some((p) => this.config?.pools[p]?.length)) return;
    throw new ProxyUnavailableError(
      `proxy_location ${w.label}: no proxy is configured for this location (looked for pools ${w.pools.join(', ')} in WREN_PROXY_CONFIG); configure one or send proxy_location "NONE"`,
    );
  }

  /**
   * The proxy and geo profile for a location. Omitted or RESIDENTIAL: the RESIDENTIAL pool when
   * configured (as US), else a direct connection with the host's own timezone and locale.
   */
  route(location: unknown): ProxyRoute {
    const w = wanted(location);
    if (w === 'none') return { proxy: null, geo: null, source: 'NONE' };
    if (w === 'default') {
      const proxy = this.take('RESIDENTIAL');
      return proxy
        ? { proxy, geo: geoProfileFor('US'), source: 'pool RESIDENTIAL' }
        : { proxy: null, geo: null, source: 'direct (no RESIDENTIAL pool configured)' };
    }
    if ('server' in w) return { proxy: w, geo: null, source: 'custom proxy url' };
    for (const pool of w.pools) {
      const proxy = this.take(pool);
      if (proxy) return { proxy, geo: w.geo, source: `pool ${pool}` };
    }
    this.check(location);
    return { proxy: null, geo: null, source: 'direct' };
  }
}

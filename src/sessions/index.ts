/** Browser sessions, proxy routing and geo emulation. */

/** A session as the store keeps it (what SessionManager returns). */
export type { BrowserSessionRecord } from '../store/index.js';
export { type GeoProfile, geoProfileFor } from './geo.js';
export {
  type CreateSessionInput,
  SESSION_TIMEOUT_DEFAULT,
  SESSION_TIMEOUT_MAX,
  SESSION_TIMEOUT_MIN,
  type SessionLease,
  SessionManager,
  type SessionManagerOptions,
  SessionUnavailableError,
} from './manager.js';
export {
  asksForProxyRoute,
  browserOptionsFor,
  loadProxyConfig,
  type ProxyConfig,
  ProxyConfigError,
  type ProxyRoute,
  ProxyRouter,
  type ProxyServer,
  ProxyUnavailableError,
  parseProxyConfig,
  parseProxyUrl,
  redactProxyUrl,
} from './proxy.js';
export {
  type ServerBrowser,
  ServerBrowserConfigError,
  serverBrowserFromEnv,
} from './server-browser.js';

// Keys and organizations live in credentials/; re-exported for the CLI and embedded mode.
export {
  API_KEY_FILE,
  ApiKeyAuthenticator,
  type ApiKeyView,
  addApiKey,
  type BootstrapResult,
  bootstrapAuth,
  createApiKey,
  ensureDefaultOrganization,
  generateApiKey,
  hashApiKey,
  KeyAdmin,
  type OrganizationView,
  type QuotaDefaults,
} from '../credentials/index.js';
export { type ApiOptions, buildApi } from './app.js';
export { type InjectMethod, injectJson } from './inject.js';
export { type InternalLiveServer, startInternalLiveServer } from './live-internal.js';
export { LiveRelayTokens } from './live-relay.js';
export { KEY_REVOKED } from './live-routes.js';
export { runLocator } from './live-stream.js';
export { inProcessMcpBackend, requestApiKey } from './mcp-routes.js';
export { parseRange } from './results-routes.js';

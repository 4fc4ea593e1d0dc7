export { type ApiOptions, buildApi } from './app.js';
export {
  API_KEY_FILE,
  ApiKeyAuthenticator,
  addApiKey,
  type BootstrapResult,
  bootstrapAuth,
  createApiKey,
  ensureDefaultOrganization,
  generateApiKey,
  hashApiKey,
} from './keys.js';
export { type CreateWrenOptions, createWren, type Wren } from './server.js';

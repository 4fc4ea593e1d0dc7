/**
 * Credentials: one-time codes (pushed, pulled from totp_url, generated from stored secrets),
 * the encrypted credential store, and the secret vault that keeps secrets out of prompts, logs
 * and artifacts. Storage and HTTP are injected; this folder has no SQL and no routes.
 */
export * from './api-keys.js';
export * from './clock.js';
export * from './credential-service.js';
export * from './credential-store.js';
export * from './errors.js';
export * from './extract.js';
export { decodeEntities, type HtmlLink, htmlToText, looksLikeHtml } from './html-text.js';
export * from './pushed-codes.js';
export * from './run-totp.js';
export {
  openProxyLocation,
  profileProxyContext,
  sealProxyLocation,
  shownProxyLocation,
} from './sealed-proxy.js';
export * from './secret-box.js';
export * from './signature.js';
export * from './totp.js';
export * from './totp-sources.js';
export * from './totp-url.js';
export * from './vault.js';

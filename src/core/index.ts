/**
 * The leaf every folder may import: ids, the error the HTTP layer maps to a status, and the value
 * lists and types several folders share. It imports nothing from src/.
 */
export { type Now, type Sleep, sleep } from './clock.js';
export * from './enums.js';
export * from './errors.js';
export * from './ids.js';
export { MASK, maskProxyLocation, maskUrlPassword } from './masks.js';
export { retryAfterMs } from './retry-after.js';
export type { BrowserSettings } from './settings.js';
export { urlPattern } from './url-pattern.js';
export type { Usage } from './usage.js';

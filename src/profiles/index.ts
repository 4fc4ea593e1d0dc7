/**
 * Browser profiles: saved cookies and storage that runs and sessions start from (Skyvern's
 * /v1/browser_profiles). State is sealed at rest; storage goes through src/store, browser
 * state through src/browser.
 */

/** Which profile a session was opened from (ProfileService.sessionLink). */
export type { SessionProfileLink } from '../store/index.js';
export * from './service.js';

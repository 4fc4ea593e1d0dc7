/**
 * Browser profiles: saved cookies and storage that runs and sessions start from (Skyvern's
 * /v1/browser_profiles). State is sealed at rest; storage goes through src/store, browser
 * state through src/browser.
 */
export * from './service.js';

/**
 * The signed-in API key lives in the browser only: sessionStorage by default (gone when the tab
 * closes), localStorage when the user asks to be remembered. It is sent in the x-api-key header
 * and never put in a URL.
 */
const KEY = 'wren.apiKey';

export function getApiKey(): string | null {
  return sessionStorage.getItem(KEY) ?? localStorage.getItem(KEY);
}

export function saveApiKey(key: string, remember: boolean): void {
  clearApiKey();
  (remember ? localStorage : sessionStorage).setItem(KEY, key);
}

export function clearApiKey(): void {
  sessionStorage.removeItem(KEY);
  localStorage.removeItem(KEY);
}

/** Whether the key is kept across tabs and restarts (localStorage). */
export function isRemembered(): boolean {
  return localStorage.getItem(KEY) !== null;
}

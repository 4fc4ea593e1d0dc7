/**
 * Skyvern routes Wren does not serve. A request to one gets a 404 that says so, instead of the
 * bare "Not Found" a wrong id or a typo gets, so a migrating user can tell the two apart. The
 * list is docs/api.md#not-supported; test/integration/api/skyvern-contract.test.ts checks that
 * every path of Skyvern's reference OpenAPI file is either served or listed here.
 */

export interface UnsupportedFamily {
  /** What docs/api.md calls it. */
  name: string;
  /** Matches the request path (no query string, no trailing slash). */
  pattern: RegExp;
}

export const NOT_SUPPORTED: readonly UnsupportedFamily[] = [
  { name: 'Workflows and agents', pattern: /^\/v1\/(?:workflows|agents)(?:\/.*)?$/ },
  { name: 'Running workflows and agents', pattern: /^\/v1\/run\/(?:workflows|agents)(?:\/.*)?$/ },
  {
    name: 'Task shortcuts (login, file download, …)',
    pattern: /^\/v1\/run\/tasks\/[^/]+(?:\/.*)?$/,
  },
  { name: 'Schedules', pattern: /^\/v1\/schedules(?:\/.*)?$/ },
  { name: 'Folders', pattern: /^\/v1\/folders(?:\/.*)?$/ },
];

export const NOT_SUPPORTED_ANCHOR = 'docs/api.md#not-supported';

/** The 404 detail for a Skyvern route Wren does not serve; null for any other path. */
export function notSupportedDetail(method: string, url: string): string | null {
  const path = (url.split('?')[0] ?? '').replace(/\/+$/, '');
  if (!NOT_SUPPORTED.some((f) => f.pattern.test(path))) return null;
  return `${method.toUpperCase()} ${path} is not supported by Wren (see ${NOT_SUPPORTED_ANCHOR})`;
}

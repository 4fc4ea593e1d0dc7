/**
 * A page's URL as a key for what was learned on it (the SDK's selector cache, code-mode scripts):
 * origin and path, with ids in the path (numbers, uuids, long hex) replaced by `*`; query and
 * fragment dropped. /orders/123 and /orders/456 share a key.
 */
export function urlPattern(url: string | null): string {
  if (!url) return '';
  try {
    const u = new URL(url);
    const path = u.pathname
      .split('/')
      .map((seg) =>
        /^\d+$/.test(seg) ||
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(seg) ||
        /^[0-9a-f]{16,}$/i.test(seg)
          ? '*'
          : seg,
      )
      .join('/');
    return `${u.origin}${path}`;
  } catch {
    return url;
  }
}

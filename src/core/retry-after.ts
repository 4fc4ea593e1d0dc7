/**
 * The wait a `Retry-After` header asks for, in milliseconds: delay-seconds (RFC 9110 §10.2.3;
 * fractions accepted, as some model providers send them) or an HTTP date; null when absent or
 * unreadable. Model calls and webhook deliveries both honour it.
 */
export function retryAfterMs(value: string | null | undefined, nowMs = Date.now()): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number.parseFloat(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

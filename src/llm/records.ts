/**
 * Makes request/response bodies safe and small enough for artifacts: image payloads (data URLs and
 * long base64 strings) become placeholders such as "[image/png base64, 48212 chars]".
 */
export function redactForRecord(value: unknown, depth = 0): unknown {
  if (depth > 64) return '[too deep]';
  if (typeof value === 'string') return redactString(value);
  if (value instanceof Uint8Array) return `[binary, ${value.byteLength} bytes]`;
  if (Array.isArray(value)) return value.map((v) => redactForRecord(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    const obj = value as Record<string, unknown>;
    // Anthropic {media_type, data} and Gemini {mimeType, data} carry bare base64 of any length.
    const mediaType = obj['media_type'] ?? obj['mimeType'];
    for (const [k, v] of Object.entries(obj)) {
      out[k] =
        k === 'data' && typeof mediaType === 'string' && typeof v === 'string'
          ? `[${mediaType} base64, ${v.length} chars]`
          : redactForRecord(v, depth + 1);
    }
    return out;
  }
  return value;
}

const DATA_URL = /^data:([a-z]+\/[a-z0-9.+-]+);base64,/i;

function redactString(s: string): string {
  const m = DATA_URL.exec(s);
  if (m) return `[${m[1]} base64, ${s.length - m[0].length} chars]`;
  if (s.length >= 512 && /^[A-Za-z0-9+/=\r\n]+$/.test(s)) return `[base64, ${s.length} chars]`;
  return s;
}

/** Parses a body that may be a JSON string; leaves other values as they are. */
export function parseMaybeJson(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

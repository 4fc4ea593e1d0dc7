/**
 * Turns a raw provider request into one neutral view (FakeRequest) so tests and policies can read
 * prompts, images and the requested schema without knowing each wire format.
 */

export type FakeDialect = 'openai-chat' | 'openai-responses' | 'anthropic-messages' | 'gemini';

export interface FakeImage {
  mediaType: string;
  base64: string;
  bytes: Buffer;
}

export interface FakeRequest {
  /** 0-based arrival order. */
  index: number;
  method: string;
  path: string;
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  rawBody: string;
  /** Parsed JSON body (undefined when it was not JSON). */
  body: unknown;
  dialect: FakeDialect;
  model: string;
  stream: boolean;
  /** System / developer / instructions text. */
  system: string;
  /** Every text piece of the conversation (system first), in order. */
  texts: string[];
  /** `texts` joined with newlines: what policies search in. */
  text: string;
  /** Text of the last user turn. */
  lastUserText: string;
  images: FakeImage[];
  /** JSON Schema the client asked the reply to follow (native structured output), if any. */
  schema: Record<string, unknown> | null;
  /** JSON was requested (schema or plain JSON mode). */
  wantsJson: boolean;
  /** Anthropic fallback: the client forces a tool named "json" whose input is the answer. */
  jsonTool: boolean;
  /** Tool names and types the client declared. */
  tools: Array<{ type: string; name: string | null; raw: Record<string, unknown> }>;
  previousResponseId: string | null;
}

export function rec(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function arr(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function dialectForPath(path: string): { dialect: FakeDialect; model?: string } | null {
  if (path.endsWith('/chat/completions')) return { dialect: 'openai-chat' };
  if (path.endsWith('/responses')) return { dialect: 'openai-responses' };
  if (path.endsWith('/messages')) return { dialect: 'anthropic-messages' };
  const g = /\/models\/([^/]+):(generateContent|streamGenerateContent)$/.exec(path);
  if (g?.[1]) return { dialect: 'gemini', model: decodeURIComponent(g[1]) };
  return null;
}

function dataUrlImage(url: string): FakeImage | null {
  const m = /^data:([^;]+);base64,(.*)$/s.exec(url);
  if (!m?.[1] || m[2] === undefined) return null;
  return { mediaType: m[1], base64: m[2], bytes: Buffer.from(m[2], 'base64') };
}

interface Collected {
  system: string[];
  texts: string[];
  images: FakeImage[];
  lastUserText: string;
}

function collectChat(body: Record<string, unknown>, out: Collected): void {
  for (const m of arr(body['messages'])) {
    const msg = rec(m);
    const role = str(msg['role']) ?? '';
    const pieces: string[] = [];
    const content = msg['content'];
    if (typeof content === 'string') pieces.push(content);
    for (const p of arr(content)) {
      const part = rec(p);
      if (part['type'] === 'text' && typeof part['text'] === 'string') pieces.push(part['text']);
      if (part['type'] === 'image_url') {
        const img = dataUrlImage(str(rec(part['image_url'])['url']) ?? '');
        if (img) out.images.push(img);
      }
    }
    for (const call of arr(msg['tool_calls'])) {
      const fn = rec(rec(call)['function']);
      pieces.push(`${str(fn['name']) ?? ''}(${str(fn['arguments']) ?? ''})`);
    }
    if (role === 'system' || role === 'developer') out.system.push(...pieces);
    else out.texts.push(...pieces);
    if (role === 'user') out.lastUserText = pieces.join('\n');
  }
}

function collectResponses(body: Record<string, unknown>, out: Collected): void {
  const instructions = str(body['instructions']);
  if (instructions) out.system.push(instructions);
  const input = body['input'];
  if (typeof input === 'string') {
    out.texts.push(input);
    out.lastUserText = input;
    return;
  }
  for (const item of arr(input)) {
    const it = rec(item);
    const type = str(it['type']) ?? 'message';
    if (type === 'message' || it['role'] !== undefined) {
      const role = str(it['role']) ?? '';
      const pieces: string[] = [];
      const content = it['content'];
      if (typeof content === 'string') pieces.push(content);
      for (const p of arr(content)) {
        const part = rec(p);
        const t = str(part['text']);
        if (t !== null && (part['type'] === 'input_text' || part['type'] === 'output_text'))
          pieces.push(t);
        if (part['type'] === 'input_image') {
          const img = dataUrlImage(str(part['image_url']) ?? '');
          if (img) out.images.push(img);
        }
      }
      if (role === 'system' || role === 'developer') out.system.push(...pieces);
      else out.texts.push(...pieces);
      if (role === 'user') out.lastUserText = pieces.join('\n');
    } else if (type === 'computer_call_output') {
      const output = rec(it['output']);
      const img = dataUrlImage(str(output['image_url']) ?? '');
      if (img) out.images.push(img);
    } else if (type === 'function_call_output') {
      const o = str(it['output']);
      if (o) out.texts.push(o);
    }
  }
}

function collectAnthropicBlocks(blocks: unknown, out: Collected, pieces: string[]): void {
  if (typeof blocks === 'string') {
    pieces.push(blocks);
    return;
  }
  for (const b of arr(blocks)) {
    const block = rec(b);
    if (block['type'] === 'text' && typeof block['text'] === 'string') pieces.push(block['text']);
    if (block['type'] === 'image') {
      const source = rec(block['source']);
      if (source['type'] === 'base64') {
        const data = str(source['data']) ?? '';
        out.images.push({
          mediaType: str(source['media_type']) ?? '',
          base64: data,
          bytes: Buffer.from(data, 'base64'),
        });
      }
    }
    if (block['type'] === 'tool_result') collectAnthropicBlocks(block['content'], out, pieces);
  }
}

function collectAnthropic(body: Record<string, unknown>, out: Collected): void {
  const system = body['system'];
  if (typeof system === 'string') out.system.push(system);
  for (const b of arr(system)) {
    const t = str(rec(b)['text']);
    if (t) out.system.push(t);
  }
  for (const m of arr(body['messages'])) {
    const msg = rec(m);
    const pieces: string[] = [];
    collectAnthropicBlocks(msg['content'], out, pieces);
    out.texts.push(...pieces);
    if (msg['role'] === 'user') out.lastUserText = pieces.join('\n');
  }
}

function collectGemini(body: Record<string, unknown>, out: Collected): void {
  for (const p of arr(rec(body['systemInstruction'])['parts'])) {
    const t = str(rec(p)['text']);
    if (t) out.system.push(t);
  }
  for (const c of arr(body['contents'])) {
    const content = rec(c);
    const pieces: string[] = [];
    for (const p of arr(content['parts'])) {
      const part = rec(p);
      const t = str(part['text']);
      if (t !== null) pieces.push(t);
      const inline = rec(part['inlineData']);
      if (typeof inline['data'] === 'string') {
        out.images.push({
          mediaType: str(inline['mimeType']) ?? '',
          base64: inline['data'],
          bytes: Buffer.from(inline['data'], 'base64'),
        });
      }
    }
    out.texts.push(...pieces);
    if ((content['role'] ?? 'user') === 'user') out.lastUserText = pieces.join('\n');
  }
}

export function parseRequest(
  index: number,
  method: string,
  url: URL,
  headers: Record<string, string>,
  rawBody: string,
): FakeRequest | null {
  const route = dialectForPath(url.pathname);
  if (!route) return null;
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    body = undefined;
  }
  const b = rec(body);
  const out: Collected = { system: [], texts: [], images: [], lastUserText: '' };
  let schema: Record<string, unknown> | null = null;
  let wantsJson = false;
  let jsonTool = false;
  const tools: FakeRequest['tools'] = [];
  for (const t of arr(b['tools'])) {
    const tool = rec(t);
    const name = str(tool['name']) ?? str(rec(tool['function'])['name']);
    tools.push({ type: str(tool['type']) ?? 'function', name, raw: tool });
  }

  switch (route.dialect) {
    case 'openai-chat': {
      collectChat(b, out);
      const rf = rec(b['response_format']);
      if (rf['type'] === 'json_schema') schema = rec(rec(rf['json_schema'])['schema']);
      wantsJson = rf['type'] === 'json_schema' || rf['type'] === 'json_object';
      break;
    }
    case 'openai-responses': {
      collectResponses(b, out);
      const format = rec(rec(b['text'])['format']);
      if (format['type'] === 'json_schema') schema = rec(format['schema']);
      wantsJson = format['type'] === 'json_schema' || format['type'] === 'json_object';
      break;
    }
    case 'anthropic-messages': {
      collectAnthropic(b, out);
      const format = rec(rec(b['output_config'])['format']);
      if (format['type'] === 'json_schema') schema = rec(format['schema']);
      const forced = rec(b['tool_choice']);
      const jsonToolDef = tools.find((t) => t.name === 'json');
      if (
        !schema &&
        jsonToolDef &&
        (forced['type'] === 'any' || forced['name'] === 'json' || forced['type'] === 'tool')
      ) {
        jsonTool = true;
        schema = rec(jsonToolDef.raw['input_schema']);
      }
      wantsJson = schema !== null;
      break;
    }
    case 'gemini': {
      collectGemini(b, out);
      const gc = rec(b['generationConfig']);
      const s = gc['responseJsonSchema'] ?? gc['responseSchema'];
      if (s && typeof s === 'object') schema = rec(s);
      wantsJson = gc['responseMimeType'] === 'application/json' || schema !== null;
      break;
    }
  }

  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => {
    query[k] = v;
  });
  const texts = [...out.system, ...out.texts];
  return {
    index,
    method,
    path: url.pathname,
    query,
    headers,
    rawBody,
    body,
    dialect: route.dialect,
    model: route.model ?? str(b['model']) ?? '',
    stream:
      b['stream'] === true ||
      (route.dialect === 'gemini' && url.pathname.endsWith(':streamGenerateContent')),
    system: out.system.join('\n'),
    texts,
    text: texts.join('\n'),
    lastUserText: out.lastUserText,
    images: out.images,
    schema,
    wantsJson,
    jsonTool,
    tools,
    previousResponseId: str(b['previous_response_id']),
  };
}

/** Image width/height from PNG or JPEG bytes (null for anything else). */
export function imageSize(bytes: Buffer): { width: number; height: number } | null {
  if (bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47) {
    return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  }
  if (bytes.length > 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let i = 2;
    while (i + 9 < bytes.length) {
      if (bytes[i] !== 0xff) return null;
      const marker = bytes[i + 1] ?? 0;
      const len = bytes.readUInt16BE(i + 2);
      if (
        marker >= 0xc0 &&
        marker <= 0xcf &&
        marker !== 0xc4 &&
        marker !== 0xc8 &&
        marker !== 0xcc
      ) {
        return { height: bytes.readUInt16BE(i + 5), width: bytes.readUInt16BE(i + 7) };
      }
      i += 2 + len;
    }
  }
  return null;
}

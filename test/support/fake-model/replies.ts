/**
 * Reply descriptions and the builders that turn them into each provider's exact response shape.
 * A test describes *what* the model says (text, JSON, tool calls, computer calls); the builder for
 * the request's dialect decides *how* it looks on the wire.
 */
import type { FakeDialect, FakeRequest } from './parse.js';

export interface FakeToolCall {
  name: string;
  args?: Record<string, unknown>;
  id?: string;
  /** Anthropic GA computer toolset: the member blocks carry toolset_name:"computer". */
  toolsetName?: string;
}

export interface FakeComputerCall {
  /** Preview variant: one action. */
  action?: Record<string, unknown>;
  /** GA variant: several actions run in order. */
  actions?: Record<string, unknown>[];
  callId?: string;
  pendingSafetyChecks?: Array<{ id: string; code?: string; message?: string }>;
}

export interface FakeUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
}

/** What the model says. Everything is optional; an empty reply is an empty text answer. */
export interface FakeReply {
  text?: string;
  /** Serialized as the answer text (or as the json tool input for Anthropic's json-tool mode). */
  json?: unknown;
  /** OpenAI Responses reasoning summary / Anthropic thinking block. */
  reasoning?: string;
  toolCalls?: FakeToolCall[];
  /** OpenAI Responses computer_call items. */
  computerCalls?: FakeComputerCall[];
  /** Override the derived usage numbers. */
  usage?: Partial<FakeUsage>;
  /** Provider-neutral finish: default "stop" (or tool use when calls are present). */
  finishReason?: 'stop' | 'length';
  delayMs?: number;
}

export interface FakeErrorReply {
  error: {
    status: number;
    message?: string;
    /** Seconds (number) or a raw header value (HTTP date). */
    retryAfter?: number | string;
    retryAfterMs?: number;
  };
  delayMs?: number;
}

/** 200 (or `status`) with a body that is not valid JSON for the dialect. */
export interface FakeMalformedReply {
  malformed: string;
  status?: number;
  delayMs?: number;
}

/** Exact bytes on the wire, for shapes the builders do not produce. */
export interface FakeRawReply {
  raw: { status?: number; headers?: Record<string, string>; body: unknown };
  delayMs?: number;
}

/** Never answers (until the client gives up or the server closes). */
export interface FakeHangReply {
  hang: true;
}

export type FakeResponse =
  | FakeReply
  | FakeErrorReply
  | FakeMalformedReply
  | FakeRawReply
  | FakeHangReply;

let counter = 0;
export function fakeId(prefix: string): string {
  counter += 1;
  return `${prefix}_${counter.toString(36).padStart(6, '0')}`;
}

/** ~4 characters per token for text, 800 tokens per image: rough, deterministic, prompt-sized. */
export function estimateUsage(
  request: FakeRequest,
  outputText: string,
  override?: Partial<FakeUsage>,
): FakeUsage {
  const inputChars = request.texts.reduce((n, t) => n + t.length, 0);
  const schemaChars = request.schema ? JSON.stringify(request.schema).length : 0;
  const input = Math.ceil((inputChars + schemaChars) / 4) + request.images.length * 800 + 8;
  const output = Math.max(1, Math.ceil(outputText.length / 4));
  return {
    inputTokens: override?.inputTokens ?? input,
    outputTokens: override?.outputTokens ?? output,
    cachedInputTokens: override?.cachedInputTokens ?? 0,
  };
}

function answerText(reply: FakeReply): string {
  if (reply.json !== undefined) return JSON.stringify(reply.json);
  return reply.text ?? '';
}

/** Everything the model "wrote", for output token estimates. */
function outputChars(reply: FakeReply): string {
  return [
    answerText(reply),
    reply.reasoning ?? '',
    ...(reply.toolCalls ?? []).map((c) => c.name + JSON.stringify(c.args ?? {})),
    ...(reply.computerCalls ?? []).map((c) => JSON.stringify(c.action ?? c.actions ?? {})),
  ].join('');
}

export function buildChatCompletion(
  reply: FakeReply,
  request: FakeRequest,
): Record<string, unknown> {
  const usage = estimateUsage(request, outputChars(reply), reply.usage);
  const toolCalls = (reply.toolCalls ?? []).map((c) => ({
    id: c.id ?? fakeId('call'),
    type: 'function',
    function: { name: c.name, arguments: JSON.stringify(c.args ?? {}) },
  }));
  const text = answerText(reply);
  return {
    id: fakeId('chatcmpl'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: toolCalls.length > 0 && text === '' ? null : text,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: toolCalls.length > 0 ? 'tool_calls' : (reply.finishReason ?? 'stop'),
      },
    ],
    usage: {
      prompt_tokens: usage.inputTokens,
      completion_tokens: usage.outputTokens,
      total_tokens: usage.inputTokens + usage.outputTokens,
      prompt_tokens_details: { cached_tokens: usage.cachedInputTokens },
      completion_tokens_details: { reasoning_tokens: 0 },
    },
  };
}

/** SSE `data:` payloads for a streamed chat completion (without the trailing [DONE]). */
export function buildChatCompletionChunks(
  reply: FakeReply,
  request: FakeRequest,
): Record<string, unknown>[] {
  const full = buildChatCompletion(reply, request);
  const base = {
    id: full['id'],
    object: 'chat.completion.chunk',
    created: full['created'],
    model: full['model'],
  };
  const choice = (full['choices'] as Array<Record<string, unknown>>)[0] ?? {};
  const message = (choice['message'] ?? {}) as Record<string, unknown>;
  const chunks: Record<string, unknown>[] = [
    {
      ...base,
      choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
    },
  ];
  const text = typeof message['content'] === 'string' ? message['content'] : '';
  for (let i = 0; i < text.length; i += 16) {
    chunks.push({
      ...base,
      choices: [{ index: 0, delta: { content: text.slice(i, i + 16) }, finish_reason: null }],
    });
  }
  const calls = (message['tool_calls'] ?? []) as Array<Record<string, unknown>>;
  calls.forEach((call, index) => {
    chunks.push({
      ...base,
      choices: [{ index: 0, delta: { tool_calls: [{ index, ...call }] }, finish_reason: null }],
    });
  });
  chunks.push({
    ...base,
    choices: [{ index: 0, delta: {}, finish_reason: choice['finish_reason'] }],
  });
  const body = request.body as Record<string, unknown> | undefined;
  const streamOptions = (body?.['stream_options'] ?? {}) as Record<string, unknown>;
  if (streamOptions['include_usage'] === true)
    chunks.push({ ...base, choices: [], usage: full['usage'] });
  return chunks;
}

export function buildResponsesResponse(
  reply: FakeReply,
  request: FakeRequest,
): Record<string, unknown> {
  const usage = estimateUsage(request, outputChars(reply), reply.usage);
  const output: Record<string, unknown>[] = [];
  if (reply.reasoning !== undefined) {
    output.push({
      type: 'reasoning',
      id: fakeId('rs'),
      summary: reply.reasoning === '' ? [] : [{ type: 'summary_text', text: reply.reasoning }],
    });
  }
  for (const c of reply.computerCalls ?? []) {
    output.push({
      type: 'computer_call',
      id: fakeId('cu'),
      call_id: c.callId ?? fakeId('call'),
      status: 'completed',
      ...(c.action ? { action: c.action } : {}),
      ...(c.actions ? { actions: c.actions } : {}),
      pending_safety_checks: c.pendingSafetyChecks ?? [],
    });
  }
  for (const c of reply.toolCalls ?? []) {
    output.push({
      type: 'function_call',
      id: fakeId('fc'),
      call_id: c.id ?? fakeId('call'),
      name: c.name,
      arguments: JSON.stringify(c.args ?? {}),
      status: 'completed',
    });
  }
  const text = answerText(reply);
  const hasCalls = (reply.computerCalls ?? []).length + (reply.toolCalls ?? []).length > 0;
  if (text !== '' || !hasCalls) {
    output.push({
      type: 'message',
      id: fakeId('msg'),
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text, annotations: [] }],
    });
  }
  const incomplete = reply.finishReason === 'length';
  return {
    id: fakeId('resp'),
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: incomplete ? 'incomplete' : 'completed',
    ...(incomplete ? { incomplete_details: { reason: 'max_output_tokens' } } : {}),
    model: request.model,
    output,
    usage: {
      input_tokens: usage.inputTokens,
      input_tokens_details: { cached_tokens: usage.cachedInputTokens },
      output_tokens: usage.outputTokens,
      output_tokens_details: {
        reasoning_tokens: reply.reasoning ? Math.ceil(reply.reasoning.length / 4) : 0,
      },
      total_tokens: usage.inputTokens + usage.outputTokens,
    },
  };
}

export function buildAnthropicMessage(
  reply: FakeReply,
  request: FakeRequest,
): Record<string, unknown> {
  const usage = estimateUsage(request, outputChars(reply), reply.usage);
  const content: Record<string, unknown>[] = [];
  if (reply.reasoning !== undefined) {
    content.push({ type: 'thinking', thinking: reply.reasoning, signature: fakeId('sig') });
  }
  let toolUse = false;
  if (request.jsonTool && reply.json !== undefined) {
    content.push({ type: 'tool_use', id: fakeId('toolu'), name: 'json', input: reply.json });
    toolUse = true;
  } else {
    const text = answerText(reply);
    if (text !== '' || (reply.toolCalls ?? []).length === 0) content.push({ type: 'text', text });
  }
  for (const c of reply.toolCalls ?? []) {
    content.push({
      type: 'tool_use',
      id: c.id ?? fakeId('toolu'),
      name: c.name,
      input: c.args ?? {},
      ...(c.toolsetName ? { toolset_name: c.toolsetName } : {}),
    });
    toolUse = true;
  }
  // Anthropic reports uncached input only; cache reads are separate.
  return {
    id: fakeId('msg'),
    type: 'message',
    role: 'assistant',
    model: request.model,
    content,
    stop_reason: toolUse ? 'tool_use' : reply.finishReason === 'length' ? 'max_tokens' : 'end_turn',
    stop_sequence: null,
    usage: {
      input_tokens: usage.inputTokens - usage.cachedInputTokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: usage.cachedInputTokens,
      output_tokens: usage.outputTokens,
    },
  };
}

export function buildGeminiResponse(
  reply: FakeReply,
  request: FakeRequest,
): Record<string, unknown> {
  const usage = estimateUsage(request, outputChars(reply), reply.usage);
  const parts: Record<string, unknown>[] = [];
  if (reply.reasoning !== undefined) parts.push({ text: reply.reasoning, thought: true });
  const text = answerText(reply);
  if (text !== '' || (reply.toolCalls ?? []).length === 0) parts.push({ text });
  for (const c of reply.toolCalls ?? [])
    parts.push({ functionCall: { name: c.name, args: c.args ?? {} } });
  return {
    candidates: [
      {
        content: { role: 'model', parts },
        finishReason: reply.finishReason === 'length' ? 'MAX_TOKENS' : 'STOP',
        index: 0,
      },
    ],
    usageMetadata: {
      promptTokenCount: usage.inputTokens,
      candidatesTokenCount: usage.outputTokens,
      totalTokenCount: usage.inputTokens + usage.outputTokens,
      ...(usage.cachedInputTokens ? { cachedContentTokenCount: usage.cachedInputTokens } : {}),
    },
    modelVersion: request.model,
    responseId: fakeId('gem'),
  };
}

export function buildReply(reply: FakeReply, request: FakeRequest): Record<string, unknown> {
  switch (request.dialect) {
    case 'openai-chat':
      return buildChatCompletion(reply, request);
    case 'openai-responses':
      return buildResponsesResponse(reply, request);
    case 'anthropic-messages':
      return buildAnthropicMessage(reply, request);
    case 'gemini':
      return buildGeminiResponse(reply, request);
  }
}

/** The provider's error envelope for a status. */
export function buildErrorBody(
  dialect: FakeDialect,
  status: number,
  message: string,
): Record<string, unknown> {
  const openaiType =
    status === 429
      ? 'rate_limit_error'
      : status >= 500
        ? 'server_error'
        : status === 401
          ? 'authentication_error'
          : 'invalid_request_error';
  switch (dialect) {
    case 'anthropic-messages': {
      const type =
        status === 429
          ? 'rate_limit_error'
          : status === 529
            ? 'overloaded_error'
            : status >= 500
              ? 'api_error'
              : status === 401
                ? 'authentication_error'
                : 'invalid_request_error';
      return { type: 'error', error: { type, message } };
    }
    case 'gemini': {
      const gstatus =
        status === 429
          ? 'RESOURCE_EXHAUSTED'
          : status >= 500
            ? 'INTERNAL'
            : status === 401
              ? 'UNAUTHENTICATED'
              : 'INVALID_ARGUMENT';
      return { error: { code: status, message, status: gstatus } };
    }
    default:
      return { error: { message, type: openaiType, param: null, code: null } };
  }
}

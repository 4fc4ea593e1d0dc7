import { CuaProtocolError, isRecord } from '../shared/errors.js';
import { pngDataUrl } from '../shared/image.js';
import {
  type CuaLoopOptions,
  type CuaLoopResult,
  type CuaUsage,
  ModelScreen,
  tokenCount,
} from '../shared/loop.js';
import { askUser, completedWith, executeTurn, runCuaLoop } from '../shared/run.js';
import { translateUiTarsCalls } from './actions.js';
import { type UiTarsModelVersion, uiTarsVersionForModel } from './coordinates.js';
import { addBoxTokens, parseUiTarsReply } from './parser.js';
import { uiTarsSystemPrompt } from './prompt.js';

/** Relative to an OpenAI-compatible base URL (`…/v1`, or Ark's `…/api/v3`). */
export const UI_TARS_CHAT_PATH = '/chat/completions';

export interface UiTarsLoopOptions extends CuaLoopOptions {
  /** Default: chosen from the model id. Decides the prompt and the coordinate space together. */
  modelVersion?: UiTarsModelVersion;
  /** Screenshots kept in the history (all assistant replies are kept). Default 5. */
  historyImages?: number;
  /** Language the model should think in. Default English. */
  language?: string;
  maxTokens?: number;
  /** CSS pixels per `scroll` call. Default 500 (5 wheel clicks). */
  scrollPixels?: number;
  /** Consecutive unparseable replies tolerated (each re-asked) before the run fails. Default 2. */
  maxParseRetries?: number;
  /** Extra body fields for the endpoint, e.g. Ark's `{thinking: {type: "disabled"}}`. */
  extraBody?: Record<string, unknown>;
}

interface HistoryEntry {
  image: Buffer;
  reply: string;
  /** A human's answer to `call_user()`, sent right after the reply. */
  answer?: string;
}

export function runUiTarsLoop(opts: UiTarsLoopOptions): Promise<CuaLoopResult> {
  return runCuaLoop(opts, async () => {
    const version = opts.modelVersion ?? uiTarsVersionForModel(opts.model);
    const keep = Math.max(1, opts.historyImages ?? 5);
    const maxRetries = opts.maxParseRetries ?? 2;
    const screen = new ModelScreen(opts.computer, opts.displaySize);
    const prompt = uiTarsSystemPrompt(version, opts.task, opts.language);
    const history: HistoryEntry[] = [];
    let current = await screen.capture();
    let parseFailures = 0;
    return {
      // extraBody may tune sampling, but model, messages and stream (we parse one JSON body) stay ours.
      request: () => ({
        path: UI_TARS_CHAT_PATH,
        body: {
          temperature: 0,
          max_tokens: opts.maxTokens ?? 1000,
          ...opts.extraBody,
          model: opts.model,
          messages: buildUiTarsMessages(prompt, history, current, keep),
          stream: false,
        },
        headers: {},
      }),
      parse: parseChatCompletion,
      async answer({ text, usage: turnUsage }, stepIndex) {
        let parsed: ReturnType<typeof parseUiTarsReply>;
        try {
          parsed = parseUiTarsReply(text);
        } catch (error) {
          if (!(error instanceof CuaProtocolError)) throw error;
          parseFailures++;
          opts.onStep?.({
            stepIndex,
            reasoning: null,
            message: text,
            actions: [],
            screenshot: null,
            usage: turnUsage,
            error: error.message,
          });
          opts.onLog?.({
            level: 'warn',
            message: `UI-TARS reply could not be parsed (${parseFailures}/${maxRetries + 1})`,
            data: { error: error.message },
          });
          if (parseFailures > maxRetries) throw error;
          // Ask again on the same screen; the unparseable text stays out of the history.
          return null;
        }
        parseFailures = 0;
        history.push({ image: current, reply: version === '1.5' ? addBoxTokens(text) : text });

        const turn = translateUiTarsCalls(parsed.calls, {
          version,
          image: screen.size,
          scrollPixels: opts.scrollPixels ?? 500,
        });
        const actions = turn.actions.map((action) => ({ action, callId: null }));
        const records = await executeTurn(opts.computer, screen, opts.signal, actions);
        const aborted = opts.signal?.aborted === true;
        const terminal = turn.finished !== null || turn.callUser;
        current = aborted || terminal ? current : await screen.capture();
        opts.onStep?.({
          stepIndex,
          reasoning: parsed.thought,
          message: turn.finished,
          actions: records,
          screenshot: aborted || terminal ? null : current,
          usage: turnUsage,
        });
        if (aborted) return null;
        if (turn.finished !== null) return completedWith(turn.finished);
        if (turn.callUser) {
          const reply = await askUser(opts, parsed.thought ?? '');
          if (reply !== null) {
            history[history.length - 1]!.answer = reply;
            current = await screen.capture();
            return null;
          }
          return {
            outcome: 'needs_user',
            answer: parsed.thought,
            reason: 'the model called for a human (call_user)',
          };
        }
        return null;
      },
    };
  });
}

/**
 * The UI-TARS conversation: the prompt as the first user message, then every earlier reply, each
 * preceded by its screenshot only when that screenshot is among the `keep` newest (the current one
 * included), and the current screenshot last.
 */
export function buildUiTarsMessages(
  prompt: string,
  history: HistoryEntry[],
  current: Buffer,
  keep: number,
): unknown[] {
  const image = (png: Buffer) => ({
    role: 'user',
    content: [{ type: 'image_url', image_url: { url: pngDataUrl(png) } }],
  });
  const messages: unknown[] = [{ role: 'user', content: prompt }];
  const firstWithImage = history.length - (keep - 1);
  for (const [i, entry] of history.entries()) {
    if (i >= firstWithImage) messages.push(image(entry.image));
    messages.push({ role: 'assistant', content: entry.reply });
    if (entry.answer !== undefined) messages.push({ role: 'user', content: entry.answer });
  }
  messages.push(image(current));
  return messages;
}

/** The assistant text and usage of a non-streaming Chat Completions body. */
export function parseChatCompletion(json: unknown): { text: string; usage: CuaUsage } {
  if (!isRecord(json)) throw new CuaProtocolError('response body is not a JSON object', json);
  const choices = json['choices'];
  const first = Array.isArray(choices) ? choices[0] : undefined;
  const message = isRecord(first) ? first['message'] : undefined;
  if (!isRecord(message)) throw new CuaProtocolError('response has no choices[0].message', json);
  const content = message['content'];
  let text: string;
  if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) {
    text = content
      .map((p) => (isRecord(p) && typeof p['text'] === 'string' ? p['text'] : ''))
      .join('');
  } else throw new CuaProtocolError('choices[0].message.content is not text', json);
  const usage = isRecord(json['usage']) ? json['usage'] : {};
  return {
    text,
    usage: {
      inputTokens: tokenCount(usage['prompt_tokens']),
      outputTokens: tokenCount(usage['completion_tokens']),
    },
  };
}

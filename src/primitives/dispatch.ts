/**
 * Skyvern's SDK actions (RunSdkActionRequest.action) onto the handlers. `result` is what
 * Skyvern's RunSdkActionResponse carries: the selector used (element actions, locate), the data
 * (extract, prompt), a boolean (validate); `details` is Wren's extra (docs/api.md).
 */
import type { ActOutcome } from './handlers/act.js';
import { act } from './handlers/act.js';
import { click } from './handlers/click.js';
import { extract, extractSchemaOf } from './handlers/extract.js';
import { inputText } from './handlers/input-text.js';
import { locateElement } from './handlers/locate.js';
import { observe } from './handlers/observe.js';
import { prompt } from './handlers/prompt.js';
import { selectOption } from './handlers/select-option.js';
import { uploadFile } from './handlers/upload-file.js';
import { validate } from './handlers/validate.js';
import type { PrimitiveContext } from './types.js';

/** The fields of Skyvern's action types that Wren reads (others are accepted and ignored). */
export interface SdkAction {
  type: string;
  selector?: string | null;
  intention?: string | null;
  value?: string | null;
  file_url?: string | null;
  data?: unknown;
  timeout?: number;
  prompt?: string | null;
  extract_schema?: unknown;
  response_schema?: Record<string, unknown> | null;
}

export interface SdkActionOutcome {
  result: unknown;
  /** Wren's extra detail: selector used and whether the model was asked, validate's evidence. */
  details: Record<string, unknown>;
}

export async function runSdkAction(
  ctx: PrimitiveContext,
  action: SdkAction,
): Promise<SdkActionOutcome> {
  const element = {
    selector: action.selector ?? null,
    intention: action.intention ?? null,
    data: action.data,
    ...(action.timeout !== undefined ? { timeoutMs: action.timeout } : {}),
  };
  switch (action.type) {
    case 'ai_click': {
      const o = await click(ctx, element);
      return { result: o.selector, details: { ...o } };
    }
    case 'ai_input_text': {
      const o = await inputText(ctx, { ...element, value: action.value ?? '' });
      return { result: o.selector, details: { ...o } };
    }
    case 'ai_select_option': {
      const o = await selectOption(ctx, { ...element, value: action.value ?? '' });
      return { result: o.selector, details: { ...o } };
    }
    case 'ai_upload_file': {
      const o = await uploadFile(ctx, { ...element, fileUrl: action.file_url ?? '' });
      return { result: o.selector, details: { ...o } };
    }
    case 'ai_act': {
      const o: ActOutcome = await act(ctx, action.intention ?? '', action.data);
      return { result: o, details: { ...o, usedModel: true } };
    }
    case 'extract': {
      const schema = extractSchemaOf(action.extract_schema, 'action.extract_schema');
      const data = await extract(ctx, {
        prompt: action.prompt || action.intention || '',
        schema,
        data: action.data,
      });
      return { result: data, details: { usedModel: true } };
    }
    case 'locate_element': {
      const l = await locateElement(ctx, action.prompt ?? '', 'action.prompt');
      return { result: l.selector, details: { ...l, usedModel: true } };
    }
    case 'validate': {
      const v = await validate(ctx, action.prompt ?? '');
      return { result: v.valid, details: { evidence: v.evidence, usedModel: true } };
    }
    case 'prompt': {
      const out = await prompt(ctx, {
        prompt: action.prompt ?? '',
        schema: action.response_schema ?? null,
      });
      return { result: out, details: { usedModel: true } };
    }
    case 'observe': {
      const candidates = await observe(ctx, action.prompt ?? '');
      return { result: candidates, details: { usedModel: true } };
    }
    default:
      throw new Error(`unknown action type ${action.type}`);
  }
}

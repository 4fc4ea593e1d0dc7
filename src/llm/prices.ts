import { existsSync, readFileSync } from 'node:fs';
import type { TokenUsage } from './types.js';

/** USD per 1M tokens. `cachedInput` defaults to `input`, `cacheWrite` to `input`. */
export interface ModelPrice {
  input: number;
  output: number;
  cachedInput?: number;
  cacheWrite?: number;
}

/** Keys are model ids ("gpt-5-mini") or "provider/model"; the longest matching prefix wins. */
export type PriceTable = Record<string, ModelPrice>;

/**
 * List prices as published by the providers (late 2025). They change: override them with
 * WREN_MODEL_PRICES rather than trusting this table for billing.
 */
export const DEFAULT_PRICES: PriceTable = {
  'gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'gpt-5-nano': { input: 0.05, cachedInput: 0.005, output: 0.4 },
  'gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  'computer-use-preview': { input: 3, output: 12 },
  'claude-opus-4-5': { input: 5, cachedInput: 0.5, cacheWrite: 6.25, output: 25 },
  'claude-opus-4-1': { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
  'claude-opus-4': { input: 15, cachedInput: 1.5, cacheWrite: 18.75, output: 75 },
  'claude-sonnet-4': { input: 3, cachedInput: 0.3, cacheWrite: 3.75, output: 15 },
  'claude-haiku-4-5': { input: 1, cachedInput: 0.1, cacheWrite: 1.25, output: 5 },
  'claude-3-5-haiku': { input: 0.8, cachedInput: 0.08, cacheWrite: 1, output: 4 },
  'gemini-2.5-pro': { input: 1.25, cachedInput: 0.125, output: 10 },
  'gemini-2.5-flash': { input: 0.3, cachedInput: 0.03, output: 2.5 },
  'gemini-2.5-flash-lite': { input: 0.1, cachedInput: 0.01, output: 0.4 },
  'gemini-2.0-flash': { input: 0.1, cachedInput: 0.025, output: 0.4 },
};

export function findPrice(
  table: PriceTable,
  provider: string,
  modelId: string,
): { key: string; price: ModelPrice } | null {
  const candidates = [`${provider}/${modelId}`, modelId];
  let best: { key: string; price: ModelPrice } | null = null;
  for (const name of candidates) {
    for (const [key, price] of Object.entries(table)) {
      if (!name.startsWith(key)) continue;
      // Prefix match only at a token boundary: "gpt-5" matches "gpt-5-2025-08-07" but the
      // longer "gpt-5-mini" entry wins for "gpt-5-mini".
      const rest = name.slice(key.length);
      if (rest !== '' && !/^[-_.:@/]/.test(rest)) continue;
      if (!best || key.length > best.key.length) best = { key, price };
    }
    if (best) return best;
  }
  return best;
}

export function costUsd(usage: TokenUsage, price: ModelPrice): number {
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  const written = Math.min(usage.cacheWriteTokens, usage.inputTokens - cached);
  const plain = usage.inputTokens - cached - written;
  const cost =
    plain * price.input +
    cached * (price.cachedInput ?? price.input) +
    written * (price.cacheWrite ?? price.input) +
    usage.outputTokens * price.output;
  return cost / 1_000_000;
}

/**
 * Parses a price override: inline JSON (starts with "{") or a path to a JSON file. Returns the
 * table or a message naming what is wrong.
 */
export function parsePriceOverride(
  value: string,
): { ok: true; prices: PriceTable } | { ok: false; problem: string } {
  let text = value.trim();
  if (!text.startsWith('{')) {
    if (!existsSync(text)) {
      return { ok: false, problem: `WREN_MODEL_PRICES: file not found: ${text}` };
    }
    text = readFileSync(text, 'utf8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      problem: `WREN_MODEL_PRICES: not valid JSON (${(error as Error).message})`,
    };
  }
  if (!isRecord(parsed)) {
    return { ok: false, problem: 'WREN_MODEL_PRICES: expected an object keyed by model id' };
  }
  const prices: PriceTable = {};
  for (const [key, raw] of Object.entries(parsed)) {
    if (!isRecord(raw)) {
      return { ok: false, problem: `WREN_MODEL_PRICES["${key}"]: expected {input, output}` };
    }
    const price: ModelPrice = { input: 0, output: 0 };
    for (const field of ['input', 'output', 'cachedInput', 'cacheWrite'] as const) {
      const v = raw[field];
      if (v === undefined && (field === 'cachedInput' || field === 'cacheWrite')) continue;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        return {
          ok: false,
          problem: `WREN_MODEL_PRICES["${key}"].${field}: expected a non-negative number (USD per 1M tokens)`,
        };
      }
      price[field] = v;
    }
    prices[key] = price;
  }
  return { ok: true, prices };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

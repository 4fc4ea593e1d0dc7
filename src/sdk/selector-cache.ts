/**
 * The SDK's selector cache: what an AI primitive found, keyed by (URL pattern, primitive,
 * instruction), so the same call on the same kind of page is replayed with Playwright and no model.
 * Visible (`entries()`), clearable (`clear()`), optionally kept in a JSON file so the next run of
 * a script starts warm.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { urlPattern } from '../core/index.js';

export { urlPattern };

export interface CachedSelection {
  /** The URL pattern the entry applies to (see urlPattern). */
  urlPattern: string;
  /** act | locate */
  primitive: string;
  instruction: string;
  /** click | input_text | select_option | check | uncheck | press | locate */
  action: string;
  selector: string | null;
  value: string | null;
  /** ISO time the entry was written (first found or refreshed). */
  savedAt: string;
  /** Times it was replayed without the model. */
  hits: number;
}

export class SelectorCache {
  private readonly map = new Map<string, CachedSelection>();

  /** `file`: a JSON file to load from and save to (created on first write). */
  constructor(private readonly file: string | null = null) {
    if (file) {
      try {
        const saved = JSON.parse(readFileSync(file, 'utf8')) as CachedSelection[];
        for (const e of saved)
          this.map.set(SelectorCache.key(e.urlPattern, e.primitive, e.instruction), e);
      } catch {
        // no file yet, or unreadable: start empty
      }
    }
  }

  static key(pattern: string, primitive: string, instruction: string): string {
    return `${pattern}\u0000${primitive}\u0000${instruction.trim().toLowerCase()}`;
  }

  get(url: string, primitive: string, instruction: string): CachedSelection | undefined {
    return this.map.get(SelectorCache.key(urlPattern(url), primitive, instruction));
  }

  set(
    url: string,
    primitive: string,
    instruction: string,
    entry: Pick<CachedSelection, 'action' | 'selector' | 'value'>,
  ): CachedSelection {
    const full: CachedSelection = {
      urlPattern: urlPattern(url),
      primitive,
      instruction,
      ...entry,
      savedAt: new Date().toISOString(),
      hits: 0,
    };
    this.map.set(SelectorCache.key(full.urlPattern, primitive, instruction), full);
    this.save();
    return full;
  }

  hit(entry: CachedSelection): void {
    entry.hits++;
  }

  delete(url: string, primitive: string, instruction: string): void {
    this.map.delete(SelectorCache.key(urlPattern(url), primitive, instruction));
    this.save();
  }

  entries(): CachedSelection[] {
    return [...this.map.values()].map((e) => ({ ...e }));
  }

  clear(): void {
    this.map.clear();
    this.save();
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, `${JSON.stringify([...this.map.values()], null, 2)}\n`);
  }
}

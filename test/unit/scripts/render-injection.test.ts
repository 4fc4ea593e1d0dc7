/**
 * docs/code-mode.md "What a script is": the TypeScript a script renders as is run by
 * `wren script run`, and its comments carry text from the run (URLs, page titles, typed text).
 * Text with line breaks of any kind (U+2028 and U+2029 end a JavaScript line too) must stay
 * inside its comment or string: parsed with TypeScript, the source holds exactly the statements
 * the steps render to.
 */
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { renderScript, type ScriptBody } from '../../../src/scripts/index.js';

const PAYLOAD = "(await import('node:fs')).writeFileSync('/tmp/pwned', 'x');//";

function statementsOf(source: string): string[] {
  const file = ts.createSourceFile('script.ts', source, ts.ScriptTarget.ES2022, true);
  const run = file.statements.find(
    (s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && s.name?.text === 'run',
  );
  if (!run?.body) throw new Error('no run() in the source');
  return run.body.statements.map((s) => s.getText(file));
}

describe('rendered scripts keep run text inert', () => {
  for (const brk of ['\n', '\r', '\u2028', '\u2029']) {
    it(`a ${JSON.stringify(brk)} in an intention, a URL or a title stays in its comment or string`, () => {
      const body: ScriptBody = {
        version: 1,
        engine: 'skyvern-1.0',
        startUrl: 'https://shop.example/',
        steps: [
          {
            kind: 'goto',
            url: { literal: `https://shop.example/next${brk}${PAYLOAD}` },
            intention: `open https://shop.example/next${brk}${PAYLOAD}`,
          },
          {
            kind: 'switch_tab',
            urlPattern: 'https://shop.example/',
            title: `Shop${brk}${PAYLOAD}`,
            intention: `switch to the tab "Shop${brk}${PAYLOAD}"`,
          },
        ],
        parameters: [],
        output: { mode: 'model', reason: `because${brk}${PAYLOAD}` },
        final: { urlPattern: 'https://shop.example/' },
      };
      const source = renderScript(body, {
        scriptId: 'scr_1',
        revision: 1,
        runId: null,
        promptTemplate: 'buy',
      });
      const statements = statementsOf(source);
      // The payload is only ever inside the two steps' string arguments (the URL, the title).
      const carrying = statements.filter((s) => s.includes('writeFileSync'));
      expect(carrying).toHaveLength(2);
      expect(carrying[0]).toMatch(/^await page\.goto\("https:\/\/shop\.example\/next/);
      expect(carrying[1]).toMatch(/^await step\.switchTab\(/);
      expect(statements.some((s) => s.startsWith('(await import'))).toBe(false);
      expect(ts.transpileModule(source, {}).diagnostics ?? []).toEqual([]);
    });
  }
});

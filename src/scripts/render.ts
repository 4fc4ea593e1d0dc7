/**
 * renderScript: a script body as readable TypeScript on Playwright. Each step is one call of the
 * `step` helpers with its selector and, as the comment above it and the `intention` option, what
 * it is for. `npx wren script run <file> --param name=value` runs the file (src/cli/script-run.ts
 * provides `page`, `params` and `step`).
 */
import type { ScriptBody, ScriptStep, ScriptValue } from './types.js';

export interface RenderMeta {
  scriptId: string;
  revision: number;
  runId: string | null;
  promptTemplate: string;
}

/** A string literal, single-quoted (selectors hold double quotes) unless that needs escapes. */
/**
 * Text as a line comment: a line break of any kind (U+2028 and U+2029 end a line in JavaScript
 * too) would end the comment and turn the rest into code, and intentions carry URLs, page titles
 * and typed text.
 */
const comment = (text: string) => `// ${text.replace(/[\r\n\u2028\u2029]+/g, ' ')}`;
const q = (s: string) => (/^[^'\\\n\r\u2028\u2029]*$/.test(s) ? `'${s}'` : JSON.stringify(s));
const ident = (name: string) => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${q(name)}]`);

function value(v: ScriptValue): string {
  return 'param' in v ? `params${ident(v.param)}` : q(v.literal);
}

function stepCode(s: ScriptStep): string {
  const why = `{ intention: ${q(s.intention)} }`;
  switch (s.kind) {
    case 'goto':
      return `await page.goto(${value(s.url)});`;
    case 'click':
      return `await step.click(${q(s.selector)}, ${
        s.button || s.double || s.opensTab || s.download
          ? `{ intention: ${q(s.intention)}${s.button ? `, button: ${q(s.button)}` : ''}${s.double ? ', double: true' : ''}${s.opensTab ? ', opensTab: true' : ''}${s.download ? ', download: true' : ''} }`
          : why
      });`;
    case 'fill':
      return `await step.fill(${q(s.selector)}, ${value(s.value)}, ${
        s.submit || s.typed
          ? `{ intention: ${q(s.intention)}${s.submit ? ', submit: true' : ''}${s.typed ? ', typed: true' : ''} }`
          : why
      });`;
    case 'select':
      return `await step.select(${q(s.selector)}, [${s.labels.map(value).join(', ')}], ${why});`;
    case 'check':
      return `await step.check(${q(s.selector)}, ${s.checked}, ${why});`;
    case 'hover':
      return `await step.hover(${q(s.selector)}, ${why});`;
    case 'press':
      return `await step.press(${s.selector ? q(s.selector) : 'null'}, ${q(s.keys)}, ${why});`;
    case 'enter_code':
      return `await step.enterCode(${s.selector ? q(s.selector) : 'null'}, ${why});`;
    case 'upload':
      return `await step.upload(${q(s.selector)}, [${s.files.map(value).join(', ')}], ${why});`;
    case 'drag':
      return `await step.drag(${q(s.selector)}, ${q(s.target)}, ${why});`;
    case 'new_tab':
      return `await step.newTab(${s.url ? value(s.url) : 'null'});`;
    case 'switch_tab':
      return `await step.switchTab(${q(s.urlPattern)}, ${q(s.title)});`;
    case 'close_tab':
      return 'await step.closeTab();';
    case 'download':
      return `await step.download(${value(s.url)}, ${why});`;
    case 'back':
      return "await page.goBack({ waitUntil: 'domcontentloaded' });";
    case 'reload':
      return "await page.reload({ waitUntil: 'domcontentloaded' });";
    case 'wait_for_url':
      return `await step.waitForUrl(${q(s.urlPattern)});`;
  }
}

function outputCode(body: ScriptBody): string[] {
  const o = body.output;
  if (o.mode === 'constant') return [`return ${JSON.stringify(o.value)};`];
  if (o.mode === 'model')
    return [
      '// The output could not be tied to elements of the page: the extractor model reads it.',
      ...(o.reason ? [comment(`Why: ${o.reason}`)] : []),
      'return step.extract();',
    ];
  if (o.rules.some((r) => r.kind === 'list'))
    return [
      '// The output, read off the final page (no model); a list is every item under its',
      '// container, each field by a selector relative to the item.',
      `return step.read(${JSON.stringify(o.rules, null, 2).replace(/\n/g, '\n  ')});`,
    ];
  return [
    '// The output, read off the final page (no model).',
    `return step.read(${JSON.stringify(o.rules, null, 2).replace(/\n/g, '\n  ')});`,
  ];
}

export function renderScript(body: ScriptBody, meta: RenderMeta): string {
  const params = body.parameters;
  const lines: string[] = [
    '/**',
    ` * Wren script ${meta.scriptId}, revision ${meta.revision}${meta.runId ? `, compiled from run ${meta.runId}` : ''}.`,
    ` * Engine: ${body.engine}. Task: ${meta.promptTemplate.replace(/\*\//g, '*\\/')}`,
    ' *',
    ' * Each step finds its element by a selector that was unique on the page when the run did it;',
    " * when it no longer works, Wren gives the step's intention to the agent for that step only.",
    ` * Run it: npx wren script run this-file.ts${params
      .filter((p) => !p.secret)
      .map((p) => ` --param ${p.name}=…`)
      .join('')}`,
    ' */',
    "import type { ScriptContext } from 'wren';",
    '',
    '/** Parameters, with the values of the recorded run (secrets stay placeholders). */',
    'export const parameters = {',
    ...params.map(
      (p) =>
        `  ${/^[A-Za-z_$][\w$]*$/.test(p.name) ? p.name : q(p.name)}: ${
          p.secret
            ? `${q(p.placeholder ?? '')}, // secret: filled in by Wren from the run's credential`
            : p.source === 'credential'
              ? "'', // the username of the run's credential"
              : `${q(p.example ?? '')},`
        }`,
    ),
    '};',
    '',
    `export const startUrl = ${body.startUrl ? q(body.startUrl) : 'null'};`,
    '',
    'export default async function run({ page, params, step }: ScriptContext<typeof parameters>) {',
    '  await page.goto(params.$startUrl ?? startUrl!);',
  ];
  for (const s of body.steps) {
    lines.push(`  ${comment(s.intention)}`);
    lines.push(`  ${stepCode(s)}`);
  }
  lines.push(`  await step.assertUrl(${q(body.final.urlPattern)});`);
  for (const l of outputCode(body)) lines.push(`  ${l}`);
  lines.push('}', '');
  return lines.join('\n');
}

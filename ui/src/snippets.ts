/** The equivalent curl / TypeScript / Python calls for a task request. The key stays a variable. */

export function curlSnippet(origin: string, body: Record<string, unknown>): string {
  const json = JSON.stringify(body, null, 2).replaceAll("'", "'\\''");
  return [
    `curl -s ${origin}/v1/run/tasks \\`,
    `  -H "x-api-key: $WREN_API_KEY" \\`,
    `  -H 'content-type: application/json' \\`,
    `  -d '${json}'`,
  ].join('\n');
}

export function typescriptSnippet(origin: string, body: Record<string, unknown>): string {
  const json = JSON.stringify(body, null, 2);
  return [
    "import { WrenClient, waitForCompletion } from 'wren';",
    '',
    `const wren = new WrenClient({ baseUrl: '${origin}', apiKey: process.env.WREN_API_KEY! });`,
    `const run = await wren.runTask(${json});`,
    'const done = await waitForCompletion(wren, run.run_id);',
    'console.log(done.status, done.output);',
  ].join('\n');
}

/** Skyvern's Python SDK works against Wren unchanged (same Run Task API). */
export function pythonSnippet(origin: string, body: Record<string, unknown>): string {
  const args = Object.entries(body)
    .map(([k, v]) => `        ${k}=${pythonLiteral(v, 8)},`)
    .join('\n');
  return [
    'import asyncio, os',
    'from skyvern import Skyvern',
    '',
    `skyvern = Skyvern(base_url="${origin}", api_key=os.environ["WREN_API_KEY"])`,
    '',
    'async def main():',
    '    run = await skyvern.run_task(',
    args,
    '        wait_for_completion=True,',
    '    )',
    '    print(run.status, run.output)',
    '',
    'asyncio.run(main())',
  ].join('\n');
}

function pythonLiteral(value: unknown, indent: number): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  const pad = ' '.repeat(indent + 4);
  if (Array.isArray(value)) return `[${value.map((v) => pythonLiteral(v, indent + 4)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  return `{\n${entries
    .map(([k, v]) => `${pad}${JSON.stringify(k)}: ${pythonLiteral(v, indent + 4)},`)
    .join('\n')}\n${' '.repeat(indent)}}`;
}

// Writes test/fixtures/skyvern/openapi-shapes.json: Skyvern's reference OpenAPI subset with its
// prose removed (descriptions, summaries, examples, titles), keeping only what a validator needs
// (paths, methods, parameters, status codes and schemas). Usage:
//   node scripts/skyvern-openapi-shapes.mjs <skyvern-openapi-subset.json>
import { readFileSync, writeFileSync } from 'node:fs';

// Annotations only: a property that happens to be named `title` (an object) stays.
const isProse = (key, value) =>
  (['description', 'summary', 'title'].includes(key) && typeof value === 'string') ||
  (['examples', 'x-fern-examples'].includes(key) && Array.isArray(value)) ||
  (key === 'example' && (value === null || typeof value !== 'object' || !('type' in value)));
const strip = (value) => {
  if (Array.isArray(value)) return value.map(strip);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k, v]) => !isProse(k, v))
      .map(([k, v]) => [k, strip(v)]),
  );
};

const source = process.argv[2];
if (!source) throw new Error('give the path of skyvern-openapi-subset.json');
const doc = JSON.parse(readFileSync(source, 'utf8'));
const out = {
  openapi: doc.openapi,
  info: {
    title: 'Skyvern API shapes',
    version: doc.info.version,
    'x-source':
      'Skyvern-AI/skyvern docs/api-reference/openapi.json at 07222e7a7caae79aacd5908c30e4a4445fce5f9b (subset); prose removed by scripts/skyvern-openapi-shapes.mjs',
  },
  paths: strip(doc.paths),
  components: { schemas: strip(doc.components.schemas) },
};
writeFileSync(
  new URL('../test/fixtures/skyvern/openapi-shapes.json', import.meta.url),
  `${JSON.stringify(out, null, 1)}\n`,
);

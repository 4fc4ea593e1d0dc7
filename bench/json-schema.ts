/**
 * The JSON Schema validator on hostile input, in-process:
 * - validating `^(a+)+$` against answers of 30 and 100,000 characters (ECMAScript's backtracking
 *   engine needs minutes for the 30-character one; RE2 is linear);
 * - compiling a fresh schema (an Ajv instance of its own) per dialect;
 * - the longest event-loop stall (a 1 ms timer's lateness) while validations run back to back.
 *
 *   npm run bench:json-schema -- [--rounds 200]
 */
import { parseArgs } from 'node:util';
import { compileJsonSchema, jsonSchemaProblem } from '../src/json-schema/index.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '200' } } });
const rounds = Number(values.rounds);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};
const ms = (x: number) => x.toFixed(3);

const REDOS = { type: 'object', properties: { name: { type: 'string', pattern: '^(a+)+$' } } };
const validate = compileJsonSchema(REDOS);
for (const length of [30, 100_000]) {
  const answer = { name: `${'a'.repeat(length)}!` };
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    validate(answer);
    times.push(performance.now() - t0);
  }
  console.log(
    `validate ^(a+)+$, ${length}-char answer: p50 ${ms(pct(times, 50))} ms, p99 ${ms(pct(times, 99))} ms`,
  );
}

for (const $schema of [
  undefined,
  'https://json-schema.org/draft/2019-09/schema',
  'https://json-schema.org/draft/2020-12/schema',
]) {
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    // A new text every round, so nothing is cached.
    const schema = {
      ...($schema ? { $schema } : {}),
      type: 'object',
      properties: { price: { type: 'string', pattern: `^\\d+\\.\\d{${(i % 5) + 1}}$` } },
      required: [`p${i}`],
    };
    const t0 = performance.now();
    jsonSchemaProblem(schema);
    times.push(performance.now() - t0);
  }
  console.log(
    `check + compile a new schema (${$schema ?? 'draft-07'}): p50 ${ms(pct(times, 50))} ms, p99 ${ms(pct(times, 99))} ms`,
  );
}

// Event-loop lateness while hostile validations run in 10 ms slices.
let worst = 0;
let last = performance.now();
const timer = setInterval(() => {
  const now = performance.now();
  worst = Math.max(worst, now - last - 1);
  last = now;
}, 1);
const hostile = { name: `${'a'.repeat(30)}!` };
const until = performance.now() + 1000;
while (performance.now() < until) {
  const slice = performance.now() + 10;
  while (performance.now() < slice) validate(hostile);
  await new Promise((r) => setImmediate(r));
}
clearInterval(timer);
console.log(`worst event-loop lateness during 1 s of hostile validations: ${ms(worst)} ms`);

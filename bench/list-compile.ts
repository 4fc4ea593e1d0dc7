/**
 * bench/list-compile: the time code mode takes to compile a list in a run's output
 * (docs/code-mode.md "Lists"): the page snapshot, the inference and the read-back on the live
 * page (`extractionRules`, as the recorder calls it when a run completes), on generated result
 * pages of growing size in real Chromium. The recorder gives it 10 s; pages over 30,000 elements
 * are refused.
 *
 *   npm run bench:list-compile -- [rounds per row, default 3]
 */
import { loadavg } from 'node:os';
import { chromium } from 'playwright-core';
import { resolveExecutablePath } from '../src/browser/launch.js';
import { extractionRules } from '../src/engines/script/record.js';

const rounds = Number(process.argv[2] ?? 3);
/** [items, filler elements per item-less block]: cards under one list, and a navigation of noise. */
const rows: [number, number][] = [
  [20, 0],
  [200, 0],
  [200, 2_000],
  [500, 5_000],
];

const browser = await chromium.launch({ executablePath: resolveExecutablePath() });
const page = await browser.newPage();
console.log(`load average ${loadavg()[0]!.toFixed(1)}; ${rounds} rounds per row`);
console.log('| items | elements | compiled | median ms |');
console.log('| ----: | -------: | -------- | --------: |');
for (const [count, filler] of rows) {
  const items = Array.from({ length: count }, (_, i) => ({
    title: `Product number ${i + 1}`,
    price: 10 + i,
    url: `http://shop.test/item/${i + 1}`,
  }));
  const cards = items
    .map(
      (it, i) =>
        `<li class="c"><h3><a href="item/${i + 1}">${it.title}</a></h3><span class="p">$${it.price}.00</span><p>Some description</p></li>`,
    )
    .join('');
  await page.setContent(
    `<base href="http://shop.test/"><body><nav>${'<div><span>menu</span><a href="/x">x</a></div>'.repeat(filler)}</nav><ul id="r">${cards}</ul></body>`,
  );
  // tsx wraps named functions in a `__name` helper the page does not have.
  await page.evaluate('window.__name = (f) => f');
  const elements = await page.evaluate(() => document.querySelectorAll('*').length);
  const times: number[] = [];
  let compiled = false;
  for (let k = 0; k < rounds; k++) {
    const t = performance.now();
    compiled = 'rules' in (await extractionRules(page, { results: items }));
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  console.log(
    `| ${count} | ${elements} | ${compiled ? 'yes' : 'no'} | ${times[Math.floor(times.length / 2)]!.toFixed(0)} |`,
  );
}
await browser.close();

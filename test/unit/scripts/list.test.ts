/**
 * docs/code-mode.md "Lists": inferring a list's container, item selector and per-field selectors
 * from a page snapshot, accepted only when it reads back the run's items exactly.
 */
import { describe, expect, it } from 'vitest';
import { buildTree, inferList, readListOnSnapshot, selectAll } from '../../../src/scripts/list.js';
import type { PageSnapshot, SnapElement } from '../../../src/scripts/snapshot.js';

type Props = { id?: string; class?: string; value?: string } & Record<string, string>;

/** An element of a snapshot, as `snapshotInPage` writes it. */
function h(tag: string, props: Props | null, ...children: (SnapElement | string)[]): SnapElement {
  const el: SnapElement = { tag, children };
  for (const [k, v] of Object.entries(props ?? {})) {
    if (k === 'id') el.id = v;
    else if (k === 'class') el.classes = v.split(' ');
    else if (k === 'value') el.value = v;
    else el.attrs = { ...el.attrs, [k]: v };
  }
  return el;
}

const BASE = 'http://shop.test/agent/search.html?q=lamp';
const page = (...body: SnapElement[]): PageSnapshot => ({
  baseUrl: BASE,
  root: h('html', null, h('head', null, h('title', null, 'Search')), h('body', null, ...body)),
  truncated: false,
});

const products = [
  { id: 1, title: 'Brass Desk Lamp', price: '49.90' },
  { id: 2, title: 'Paper Floor Lamp', price: '1,089.00' },
  { id: 3, title: 'Clip Reading Lamp', price: '19.50' },
  { id: 4, title: 'Arc Lamp', price: '310.00' },
];

const card = (p: (typeof products)[number]) =>
  h(
    'article',
    { class: `card card-${p.id}` },
    '\n  ',
    h('h3', { class: 'card-title' }, h('a', { href: `item.html?id=${p.id}` }, p.title)),
    h('p', { class: 'price' }, `Price: $${p.price}`),
    h('a', { class: 'more', href: `item.html?id=${p.id}#reviews` }, 'Reviews'),
  );

/** Search results: cards with a sponsored sibling, and a sidebar repeating one title. */
const results = (n: number) =>
  page(
    h(
      'main',
      null,
      h('h1', null, 'Lamp & Co'),
      h(
        'section',
        { id: 'results', 'aria-label': 'Results' },
        h('div', { class: 'sponsored' }, 'Sponsored: Brass Desk Lamp, now $39'),
        ...products.slice(0, n).map(card),
      ),
      h('aside', null, h('h2', null, 'Recently viewed'), h('p', null, 'Clip Reading Lamp')),
    ),
  );

const extracted = (n: number) =>
  products.slice(0, n).map((p) => ({
    title: p.title,
    price: Number(p.price.replace(',', '')),
    url: `http://shop.test/agent/item.html?id=${p.id}`,
  }));

describe('list inference', () => {
  it('finds the cards, an item selector and per-field selectors, and reads every card later', () => {
    const inferred = inferList(results(3), extracted(3));
    if (!inferred.ok) throw new Error(inferred.reason);
    expect(inferred.container).toBe('#results');
    expect(inferred.rule.item).toBe(':scope > article');
    expect(inferred.rule.fields).toEqual([
      {
        key: ['title'],
        selector: 'a',
        attribute: 'text',
        kind: 'string',
      },
      {
        key: ['price'],
        selector: 'p.price',
        attribute: 'text',
        kind: 'number',
        numberIndex: 0,
      },
      { key: ['url'], selector: 'a', attribute: 'href', kind: 'string', absolute: true },
    ]);
    // The page at replay time has one more card: it is read too.
    const later = buildTree(results(4));
    const [container] = selectAll(later.doc, inferred.container);
    expect(readListOnSnapshot(later, container!, inferred.rule)).toEqual(extracted(4));
  });

  it('leaves out a header row, and reads a field missing from some rows as null', () => {
    const row = (name: string, city: string | null) =>
      h(
        'tr',
        { class: 'row' },
        h('td', null, name),
        h('td', null, ...(city === null ? [] : [h('span', { class: 'city' }, city)])),
      );
    const snapshot = page(
      h(
        'table',
        null,
        h(
          'tbody',
          null,
          h('tr', null, h('th', null, 'Name'), h('th', null, 'City')),
          row('Ada', 'London'),
          row('Grace', null),
          row('Alan', 'Wilmslow'),
        ),
      ),
    );
    const items = [
      { name: 'Ada', city: 'London' },
      { name: 'Grace', city: null },
      { name: 'Alan', city: 'Wilmslow' },
    ];
    const inferred = inferList(snapshot, items);
    if (!inferred.ok) throw new Error(inferred.reason);
    expect(inferred.rule.item).toBe(':scope > tr.row');
    expect(inferred.rule.fields[1]).toMatchObject({ selector: 'span.city', nullable: true });
    const tree = buildTree(snapshot);
    const [container] = selectAll(tree.doc, inferred.container);
    expect(readListOnSnapshot(tree, container!, inferred.rule)).toEqual(items);
  });

  it('refuses a list the run saw only part of (the page shows a card the output left out)', () => {
    const inferred = inferList(results(4), extracted(3));
    expect(inferred.ok).toBe(false);
  });

  it('refuses items whose fields sit in sibling elements rather than one element each', () => {
    const snapshot = page(
      h(
        'dl',
        null,
        h('dt', null, 'Brass Desk Lamp'),
        h('dd', null, '$49.90'),
        h('dt', null, 'Paper Floor Lamp'),
        h('dd', null, '$89.00'),
      ),
    );
    const inferred = inferList(snapshot, [
      { title: 'Brass Desk Lamp', price: 49.9 },
      { title: 'Paper Floor Lamp', price: 89 },
    ]);
    expect(inferred.ok).toBe(false);
  });

  it('refuses a single item and values the page does not show', () => {
    expect(inferList(results(3), extracted(1)).ok).toBe(false);
    expect(
      inferList(
        results(3),
        extracted(3).map((p) => ({ ...p, title: `${p.title} (refurbished)` })),
      ).ok,
    ).toBe(false);
  });
});

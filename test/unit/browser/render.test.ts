import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { type RawElement, renderTree } from '../../../src/browser/index.js';

const base = {
  viewport: { width: 1000, height: 600 },
  pageUrl: 'https://shop.test/list?page=1',
  previousIds: null,
};

const el = (over: Partial<RawElement>): RawElement => ({ tag: 'div', children: [], ...over });

describe('renderTree', () => {
  it('flows inline content, breaks on blocks and prints controls with state', () => {
    const root = el({
      tag: 'body',
      b: 1,
      children: [
        el({ tag: 'h1', b: 1, lvl: 1, box: [0, 0, 100, 30], children: ['Orders'] }),
        el({
          tag: 'p',
          b: 1,
          box: [0, 40, 100, 20],
          children: [
            'See',
            el({
              tag: 'a',
              role: 'link',
              id: 3,
              name: 'all orders',
              href: 'https://shop.test/orders',
              box: [30, 40, 50, 20],
            }),
            'now.',
          ],
        }),
        el({
          tag: 'div',
          b: 1,
          children: [
            el({
              tag: 'input',
              role: 'checkbox',
              id: 4,
              name: 'Gift',
              checked: false,
              box: [0, 70, 10, 10],
            }),
            el({
              tag: 'input',
              role: 'textbox',
              id: 5,
              name: 'Email',
              type: 'email',
              required: 1,
              value: 'a@b.c',
              invalid: 1,
              error: 'Bad "email"',
              box: [0, 90, 100, 20],
            }),
            el({
              tag: 'select',
              role: 'combobox',
              id: 6,
              name: 'Size',
              value: 'M',
              options: [
                { label: 'S', value: 's', selected: false },
                { label: 'M', value: 'm', selected: true },
              ],
              optionCount: 9,
              box: [0, 120, 100, 20],
            }),
          ],
        }),
      ],
    });
    const r = renderTree(root, base);
    expect(r.text).toBe(
      [
        '# Orders',
        'See [3] link "all orders" ->/orders now.',
        '[4] checkbox "Gift" unchecked [5] textbox "Email" type=email required value="a@b.c" invalid="Bad \\"email\\"" [6] combobox "Size" value="M" options=[S | M +7 more]',
      ].join('\n'),
    );
    expect(r.elements.get(3)).toMatchObject({
      role: 'link',
      href: 'https://shop.test/orders',
      inViewport: true,
      isNew: false,
      shown: true,
    });
    expect(r.newIds).toEqual([]);
  });

  it('marks new ids, indents dialogs and frames, renders tables and lists, aliases long URLs', () => {
    const long = `https://other.test/${'x'.repeat(80)}`;
    const root = el({
      tag: 'body',
      children: [
        el({
          tag: 'ul',
          b: 1,
          children: [
            el({ tag: 'li', b: 1, children: ['first'] }),
            el({
              tag: 'li',
              b: 1,
              children: [el({ tag: 'a', role: 'link', id: 1, name: 'More', href: long })],
            }),
          ],
        }),
        el({
          tag: 'table',
          b: 1,
          children: [
            el({
              tag: 'tr',
              b: 1,
              children: [
                el({ tag: 'td', b: 1, children: ['A'] }),
                el({ tag: 'td', b: 1, children: [el({ tag: 'div', b: 1, children: ['B'] })] }),
              ],
            }),
          ],
        }),
        el({
          tag: 'div',
          role: 'dialog',
          name: 'Confirm',
          b: 1,
          children: [el({ tag: 'button', role: 'button', id: 2, name: 'OK' })],
        }),
        el({
          tag: 'iframe',
          b: 1,
          name: 'Pay',
          frameUrl: 'https://pay.test/frame?x=1',
          children: [
            el({
              tag: 'body',
              children: [el({ tag: 'input', role: 'textbox', id: 7, name: 'Card' })],
            }),
          ],
        }),
      ],
    });
    const r = renderTree(root, { ...base, previousIds: new Set([1]) });
    expect(r.text).toBe(
      [
        '- first',
        '- [1] link "More" ->@u1',
        'A | B',
        'dialog "Confirm":',
        '  *[2] button "OK"',
        'iframe "Pay" (https://pay.test/frame):',
        '  *[7] textbox "Card"',
      ].join('\n'),
    );
    expect(r.urlMap).toEqual({ '@u1': long });
    expect(r.newIds).toEqual([2, 7]);
    expect(r.elements.get(7)?.frameUrl).toBe('https://pay.test/frame?x=1');
  });

  it('marks content outside the viewport and summarises far content under a budget', () => {
    const rows = Array.from({ length: 400 }, (_, i) =>
      el({
        tag: 'p',
        b: 1,
        box: [0, i * 40, 500, 30],
        children: [
          `Row ${i} with some words in it`,
          el({
            tag: 'button',
            role: 'button',
            id: i + 1,
            name: `Open ${i}`,
            box: [0, i * 40, 50, 30],
          }),
        ],
      }),
    );
    const root = el({ tag: 'body', children: rows });
    const full = renderTree(root, { ...base, viewport: { width: 1000, height: 400 } });
    expect(full.text.split('\n')[10]).toBe('--- below the viewport ---');
    const budget = renderTree(root, {
      ...base,
      viewport: { width: 1000, height: 400 },
      maxTokens: 600,
      countTokens,
    });
    expect(countTokens(budget.text)).toBeLessThanOrEqual(600);
    expect(budget.text).toContain('Row 0 with some words in it [1] button "Open 0"');
    expect(budget.text).toContain('Row 9 with');
    expect(budget.text).toMatch(
      /… \d+ lines below the viewport omitted \(\d+ elements, ids \d+-400\); scroll to see them$/,
    );
    expect(budget.elements.get(400)?.shown).toBe(false);
    expect(budget.elements.get(1)?.shown).toBe(true);
  });

  it("puts a list bullet on the item's first line, attaches punctuation, names shapes and textareas", () => {
    const root = el({
      tag: 'body',
      b: 1,
      children: [
        el({
          tag: 'ul',
          b: 1,
          children: [
            el({ tag: 'li', b: 1, children: [el({ tag: 'p', b: 1, children: ['Block item'] })] }),
            el({ tag: 'li', b: 1, children: [] }),
          ],
        }),
        el({
          tag: 'p',
          b: 1,
          children: [
            'Read',
            el({
              tag: 'a',
              role: 'link',
              id: 1,
              name: 'this',
              href: 'https://shop.test/list?page=1#',
            }),
            '. Then',
            el({ tag: 'a', role: 'link', id: 2, name: 'that' }),
            ' .',
          ],
        }),
        el({ tag: 'circle', role: 'graphic', id: 3, hint: 'fill red' }),
        el({ tag: 'textarea', role: 'textbox', id: 4, name: 'Comment', multiline: 1 }),
        el({ tag: 'input', role: 'textbox', id: 5, name: 'Comment', type: 'text' }),
      ],
    });
    const { text } = renderTree(root, base);
    // docs/browser.md: list items `- ` on the item's first line, never a lone `-`.
    expect(text.split('\n')).toEqual([
      '- Block item',
      'Read [1] link "this". Then [2] link "that" .',
      '[3] graphic circle hint="fill red" [4] textbox "Comment" multiline [5] textbox "Comment" type=text',
    ]);
  });
});

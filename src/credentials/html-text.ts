/**
 * Just enough HTML-to-text for verification emails: drops head/script/style/comments, turns
 * block elements into line breaks, joins inline elements (codes are often split across spans),
 * decodes entities and removes the invisible padding that email preheaders use.
 */

export interface HtmlLink {
  href: string;
  text: string;
}

const BLOCK = new Set([
  'p',
  'div',
  'tr',
  'li',
  'ul',
  'ol',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'table',
  'tbody',
  'thead',
  'section',
  'article',
  'header',
  'footer',
  'blockquote',
  'center',
  'hr',
  'pre',
  'br',
]);
const CELL = new Set(['td', 'th']);
/** Elements whose content is never shown as text. */
const SKIPPED = new Set(['script', 'style', 'head', 'template', 'noscript']);

export function looksLikeHtml(content: string): boolean {
  return /<(?:!doctype|html|head|body|div|p|br|table|td|span|a|b|strong|font|center)\b[^<>]*>/i.test(
    content,
  );
}

/**
 * One left-to-right pass (no backtracking regexes over the whole input), so hostile or broken
 * markup costs linear time.
 */
export function htmlToText(html: string): { text: string; links: HtmlLink[] } {
  const lower = html.toLowerCase();
  const out: string[] = [];
  const links: HtmlLink[] = [];
  let anchor: { href: string; from: number } | null = null;
  let i = 0;
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt < 0) {
      out.push(html.slice(i));
      break;
    }
    out.push(html.slice(i, lt));
    if (html.startsWith('<!--', lt)) {
      const close = html.indexOf('-->', lt + 4);
      if (close < 0) break;
      out.push(' ');
      i = close + 3;
      continue;
    }
    const gt = html.indexOf('>', lt + 1);
    if (gt < 0) {
      out.push(html.slice(lt));
      break;
    }
    const inner = html.slice(lt + 1, gt);
    const m = /^(\/?)([a-zA-Z][a-zA-Z0-9]*)/.exec(inner);
    i = gt + 1;
    if (!m) {
      // Not a tag ("a < b", "<3"): keep it as text.
      out.push(html.slice(lt, gt + 1));
      continue;
    }
    const closing = m[1] === '/';
    const name = m[2]!.toLowerCase();
    if (!closing && SKIPPED.has(name)) {
      const end = lower.indexOf(`</${name}`, i);
      if (end < 0) break;
      const endGt = html.indexOf('>', end);
      if (endGt < 0) break;
      i = endGt + 1;
      out.push(' ');
      continue;
    }
    if (name === 'a') {
      if (!closing) {
        const href = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/i.exec(inner);
        anchor = href
          ? { href: decodeEntities((href[1] ?? href[2] ?? href[3] ?? '').trim()), from: out.length }
          : null;
      } else if (anchor) {
        const text = normalizeSpace(decodeEntities(out.slice(anchor.from).join('')));
        links.push({ href: anchor.href, text });
        anchor = null;
      }
      continue;
    }
    if (BLOCK.has(name) || name === 'title') out.push('\n');
    else if (CELL.has(name)) out.push(' ');
  }
  return { text: normalizeSpace(decodeEntities(out.join(''))), links };
}

const NAMED: Record<string, string> = {
  nbsp: ' ',
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  ndash: '–',
  mdash: '—',
  hellip: '…',
  copy: '©',
  reg: '®',
  trade: '™',
  rsquo: '’',
  lsquo: '‘',
  rdquo: '”',
  ldquo: '“',
  middot: '·',
  bull: '•',
  zwnj: '',
  zwj: '',
  shy: '',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, body: string) => {
    if (body[0] === '#') {
      const cp =
        body[1] === 'x' || body[1] === 'X'
          ? Number.parseInt(body.slice(2), 16)
          : Number.parseInt(body.slice(1), 10);
      return Number.isFinite(cp) && cp > 0 && cp <= 0x10ffff ? String.fromCodePoint(cp) : whole;
    }
    return NAMED[body.toLowerCase()] ?? whole;
  });
}

function normalizeSpace(text: string): string {
  return text
    .replace(/[\u200b-\u200d\u2060\ufeff\u00ad]|\u034f/g, '')
    .replace(/[ \t\u00a0\r\f\v]+/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line, i, all) => line !== '' || (i > 0 && all[i - 1] !== ''))
    .join('\n')
    .trim();
}

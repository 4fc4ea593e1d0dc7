/**
 * Just enough HTML-to-text for verification emails: drops head/script/style/comments, turns
 * block elements into line breaks, joins inline elements (codes are often split across spans),
 * decodes entities and removes the invisible padding that email preheaders use.
 */

export interface HtmlLink {
  href: string;
  text: string;
}

const BLOCK =
  /<\/?(?:p|div|tr|li|ul|ol|h[1-6]|table|tbody|thead|section|article|header|footer|blockquote|center|hr|pre|title)\b[^>]*>/gi;

export function looksLikeHtml(content: string): boolean {
  return /<(?:!doctype|html|head|body|div|p|br|table|td|span|a|b|strong|font|center)\b[^>]*>/i.test(
    content,
  );
}

export function htmlToText(html: string): { text: string; links: HtmlLink[] } {
  let s = html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ');
  const links: HtmlLink[] = [];
  const anchor =
    /<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))[^>]*>([\s\S]*?)<\/a\s*>/gi;
  for (const m of s.matchAll(anchor)) {
    const href = decodeEntities((m[1] ?? m[2] ?? m[3] ?? '').trim());
    const text = normalizeSpace(decodeEntities(m[4]!.replace(/<[^>]*>/g, ' ')));
    links.push({ href, text });
  }
  s = s
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(BLOCK, '\n')
    .replace(/<\/?(?:td|th)\b[^>]*>/gi, ' ')
    .replace(/<[^>]*>/g, '');
  return { text: normalizeSpace(decodeEntities(s)), links };
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

// Visible text of an HTML page, one block element per line: enough to run text rules on WARC
// response records. Not a boilerplate remover (trafilatura-style main-content extraction is a
// different job); navigation and footers stay and the heuristic rules deal with them.

const INVISIBLE = /<(script|style|noscript|template|svg|head|iframe|object|canvas|math)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const COMMENT = /<!--[\s\S]*?-->/g;
const BLOCK = /<\/?(address|article|aside|blockquote|br|dd|div|dl|dt|fieldset|figcaption|figure|footer|form|h[1-6]|header|hr|li|main|nav|ol|p|pre|section|table|tbody|td|tfoot|th|thead|title|tr|ul)\b[^>]*>/gi;
const TAG = /<[^>]*>/g;

const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', ndash: '–', mdash: '—', hellip: '…',
  lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', laquo: '«', raquo: '»', copy: '©', reg: '®', trade: '™',
  middot: '·', bull: '•', deg: '°', euro: '€', pound: '£', yen: '¥', cent: '¢', times: '×', divide: '÷',
  shy: '', zwnj: '', zwj: '',
};

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (m, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : m;
    }
    return NAMED[e.toLowerCase()] ?? m;
  });
}

export function htmlToText(html: string): string {
  const text = decodeEntities(html.replace(COMMENT, ' ').replace(INVISIBLE, ' ').replace(BLOCK, '\n').replace(TAG, ''));
  const lines: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[\s\u00a0]+/g, ' ').trim();
    if (line) lines.push(line);
  }
  return lines.join('\n');
}

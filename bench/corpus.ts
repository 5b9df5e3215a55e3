// Deterministic bilingual training text for the trainer tests and benchmarks: a Zipf-distributed
// lexicon of English-like words (syllables) and Chinese words (1-4 characters from ~3000 CJK
// ideographs), numbers, punctuation, and a few rare characters (emoji, CJK Extension B) that fall
// outside the character coverage. One paragraph per line.

function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 4294967296) * n);
  };
}

/** Zipf(1) sampler over n items. */
function zipf(rnd: (n: number) => number, n: number): () => number {
  const cdf = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) cdf[i] = acc += 1 / (i + 1);
  return () => {
    const u = (rnd(1 << 30) / (1 << 30)) * acc;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export function bilingualCorpus(bytes: number, seed = 1): string {
  const rnd = lcg(seed);
  const lex = lcg(12345); // the lexicon is the same whatever the seed (held-out text shares it)
  const syll = ['th', 'e', 'an', 'in', 'er', 'on', 're', 'at', 'st', 'en', 'ing', 'ou', 'ed', 'al', 'or', 'is', 'ar', 'le', 'ti', 'de', 'co', 'pr', 'tr', 'ma', 'ly', 'ne', 'mo', 'si', 'ch', 'wa', 'ba', 'po', 'lu', 'ki', 'gr', 'fl', 'sh', 'un', 'ex', 'qu'];
  const en: string[] = [];
  for (let i = 0; i < 6000; i++) {
    const k = 1 + lex(4);
    let w = '';
    for (let j = 0; j < k; j++) w += syll[lex(syll.length)];
    en.push(w);
  }
  const hanzi: string[] = [];
  for (let i = 0; i < 3000; i++) hanzi.push(String.fromCodePoint(0x4e00 + lex(0x9fa5 - 0x4e00)));
  const hz = zipf(lex, hanzi.length);
  const zh: string[] = [];
  for (let i = 0; i < 8000; i++) {
    const k = 1 + lex(4);
    let w = '';
    for (let j = 0; j < k; j++) w += hanzi[hz()];
    zh.push(w);
  }
  const pickEn = zipf(rnd, en.length);
  const pickZh = zipf(rnd, zh.length);
  const rare = ['😀', '🎉', '👍🏽', '𠀀', '𪚥', '䶵', 'ꙮ', '∮', 'é', 'ß', 'Ω', '€'];
  const zhPunct = ['，', '。', '、', '：', '！', '？'];
  const lines: string[] = [];
  let len = 0;
  while (len < bytes) {
    const parts: string[] = [];
    const n = 5 + rnd(60);
    const chinese = rnd(2) === 0;
    for (let i = 0; i < n; i++) {
      const r = rnd(100);
      if (chinese) {
        if (r < 80) parts.push(zh[pickZh()]!);
        else if (r < 90) parts.push(zhPunct[rnd(zhPunct.length)]!);
        else if (r < 95) parts.push(' ' + en[pickEn()]! + ' ');
        else if (r < 99) parts.push(String(rnd(r < 97 ? 100 : 100000)));
        else parts.push(rare[rnd(rare.length)]!);
      } else {
        let w = en[pickEn()]!;
        if (r < 8) w = w[0]!.toUpperCase() + w.slice(1);
        if (r >= 8 && r < 14) w += rnd(2) ? ',' : '.';
        else if (r >= 14 && r < 18) w = String(rnd(r < 16 ? 100 : 1000000));
        else if (r === 18) w = rare[rnd(rare.length)]!;
        else if (r === 19) w = zh[pickZh()]!;
        parts.push((i > 0 ? (rnd(30) === 0 ? '  ' : ' ') : '') + w);
      }
    }
    const line = parts.join('');
    lines.push(line);
    len += Buffer.byteLength(line) + 1;
  }
  return lines.join('\n') + '\n';
}

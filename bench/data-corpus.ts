// Corpora for the data-cleaning benchmarks, all from what ships in the repository or in npm
// packages: the Brown corpus (clean edited English, one file = one document), Chinese documents
// assembled from the hand-written paragraphs of test/fixtures/langid (shuffled per document), and
// generated junk of the kinds the rules exist for (menus, repeated lines, keyword spam, lorem
// ipsum, code, PII, mojibake). Deterministic: the same seed gives the same corpus.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brownFileNames, readBrownFile } from '../src/data/text/brown.js';
import type { Doc } from '../src/data/types.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface LabelledText {
  lang: string;
  text: string;
}

/** The hand-written samples (zh, ja, ko, fr, de, es, ru, pt, it) of test/fixtures/langid. */
export function handwrittenSamples(): LabelledText[] {
  const path = join(repoRoot, 'test', 'fixtures', 'langid', 'handwritten.jsonl');
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LabelledText);
}

function lcg(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 4294967296) * n);
  };
}

/**
 * The labelled sample for comparing language identifiers: one Brown paragraph per Brown file
 * (English, from a title line to a long paragraph; a few are one-word dialogue lines) and every
 * hand-written sample.
 */
export function languageIdSample(): LabelledText[] {
  const out: LabelledText[] = [];
  const names = brownFileNames();
  for (let i = 0; i < names.length; i++) {
    const paras = readBrownFile(names[i]!).split('\n\n');
    out.push({ lang: 'en', text: paras[(i * 7) % paras.length]! });
  }
  return out.concat(handwrittenSamples());
}

/** Chinese documents: `n` documents of 6-12 hand-written paragraphs in a seeded order. */
export function chineseDocuments(n: number, seed = 7): string[] {
  const paras = handwrittenSamples()
    .filter((s) => s.lang === 'zh')
    .map((s) => s.text);
  const rnd = lcg(seed);
  const docs: string[] = [];
  for (let d = 0; d < n; d++) {
    const k = 6 + rnd(7);
    const order = paras.map((p) => [rnd(1 << 30), p] as const).sort((a, b) => a[0] - b[0]);
    docs.push(order.slice(0, k).map(([, p]) => p).join('\n'));
  }
  return docs;
}

const NAV = ['Home', 'About us', 'Contact', 'Products', 'Blog', 'Login', 'Sign up', 'Privacy Policy', 'Terms of Use', 'Cart (0)', 'FAQ', 'Careers', 'Sitemap', '首页', '联系我们', '关于我们'];
const SPAM = ['cheap', 'shoes', 'buy', 'online', 'best', 'price', 'discount', 'free', 'shipping', 'sale', 'outlet', 'official'];

/** Generated junk documents (each kind the rules remove), `n` of them. */
export function junkDocuments(n: number, brown: readonly string[], seed = 11): string[] {
  const rnd = lcg(seed);
  const sentences = brown.flatMap((d) => d.split(/(?<=[.!?])\s+/)).filter((s) => s.length > 40 && s.length < 200);
  const pick = () => sentences[rnd(sentences.length)]!;
  const docs: string[] = [];
  for (let d = 0; d < n; d++) {
    const kind = d % 8;
    const lines: string[] = [];
    if (kind === 0) for (let i = 0; i < 40; i++) lines.push(NAV[rnd(NAV.length)]!);
    else if (kind === 1) {
      const s = pick();
      for (let i = 0; i < 30; i++) lines.push(i % 3 === 0 ? pick() : s);
    } else if (kind === 2) {
      const w: string[] = [];
      for (let i = 0; i < 300; i++) w.push(SPAM[rnd(SPAM.length)]!);
      lines.push(w.join(' '));
    } else if (kind === 3) {
      for (let i = 0; i < 8; i++) lines.push('Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.');
    } else if (kind === 4) {
      for (let i = 0; i < 20; i++) lines.push(`function f${i}(x) { return x * ${i} + ${rnd(100)}; }`);
    } else if (kind === 5) {
      for (let i = 0; i < 10; i++) lines.push(`${pick()} Write to user${rnd(1000)}@example.com or call +1 415 555 ${1000 + rnd(9000)}; server 93.184.216.${rnd(250)}.`);
    } else if (kind === 6) {
      for (let i = 0; i < 10; i++) lines.push(pick().replace(/e/g, 'Ã©').replace(/'/g, 'â€™'));
    } else {
      for (let i = 0; i < 12; i++) lines.push(`${rnd(2) ? '•' : '-'} ${pick().slice(0, 40)}...`);
    }
    docs.push(lines.join('\n'));
  }
  return docs;
}

/** The mixed corpus of the data-filters benchmark, with URLs (some on the sample blocklist). */
export function mixedCorpus(quick: boolean): Doc[] {
  const names = brownFileNames();
  const brown = (quick ? names.slice(0, 60) : names).map((n) => readBrownFile(n));
  const chinese = chineseDocuments(quick ? 20 : 150);
  const junk = junkDocuments(quick ? 16 : 120, brown);
  const docs: Doc[] = [];
  const add = (text: string, i: number) => {
    const url = i % 25 === 0 ? `https://www.pornhub.com/view/${i}` : i % 17 === 0 ? `https://casino-poker.example.net/${i}` : `https://news.example.org/article/${i}`;
    docs.push({ id: `doc${docs.length}`, text, metadata: { url } });
  };
  brown.forEach(add);
  chinese.forEach(add);
  junk.forEach(add);
  return docs;
}

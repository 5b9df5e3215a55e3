// The raw corpus of the demo recipe, built from what npm bundles: clean English (the Brown corpus),
// clean Chinese (the reference paragraphs shipped in src/data/scorers/corpus), and the kinds of
// documents a cleaning cascade exists to remove, generated with a seed: web boilerplate and spam,
// exact and near duplicates, repetitive pages, garbled text, and text in other languages.
import { brownDocuments } from '../data/corpora/brown.js';
import { chineseReferenceDocuments } from '../data/scorers/reference-corpus.js';
import { junkVocabulary, webJunkDocuments } from '../data/scorers/web-junk.js';
import type { Doc } from '../data/types.js';
import { mulberry32 } from '../tensor/random.js';

export interface RawCorpusOptions {
  /** Brown texts to take (of 500), spread over the genres. */
  englishDocuments: number;
  /** Web-like junk documents per clean document. */
  junkPerDocument: number;
  seed: number;
}

/** Short texts in languages the default cascade does not keep. */
const OTHER_LANGUAGES = [
  'La ciudad fue fundada en el siglo dieciséis y hoy es conocida por sus museos, sus plazas y una vida cultural muy activa durante todo el año.',
  "Le conseil municipal a adopté hier soir le budget de l'année prochaine, qui prévoit de nouveaux investissements dans les écoles et les transports.",
  'Die Forscher haben in einer neuen Studie gezeigt, dass sich das Klima in den Bergen schneller verändert als in den tiefer gelegenen Regionen.',
  'Il progetto prevede la costruzione di una nuova linea ferroviaria che collegherà il porto con il centro della città entro la fine del decennio.',
  'Московский университет был основан в восемнадцатом веке и сегодня является одним из крупнейших научных центров страны.',
  '東京の桜は例年より一週間早く満開を迎え、多くの人々が公園で花見を楽しんでいます。',
];

/** Every document of the raw corpus, in a fixed order; metadata.source says what it is. */
export function rawCorpus(o: RawCorpusOptions): Doc[] {
  const rnd = mulberry32(o.seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const brown = [...brownDocuments()];
  const step = brown.length / Math.max(1, Math.min(o.englishDocuments, brown.length));
  const english = Array.from({ length: Math.min(o.englishDocuments, brown.length) }, (_, i) => brown[Math.floor(i * step)]!);
  const chinese: Doc[] = chineseReferenceDocuments(3).map((text, i) => ({ id: `zh/${i}`, text, metadata: { source: 'chinese' } }));
  const clean = [...english, ...chinese];
  const docs: Doc[] = [...clean];

  // Web junk: navigation, footers, spam, keyword lists ... filled with the clean text's own words.
  const vocab = junkVocabulary(clean.map((d) => d.text));
  const junk = webJunkDocuments(Math.round(clean.length * o.junkPerDocument), { seed: o.seed, vocabulary: vocab, chineseShare: 0.2 });
  junk.forEach((text, i) => docs.push({ id: `web/${i}`, text, metadata: { source: 'web-junk' } }));

  // Exact duplicates (mirrors, reposts) and near duplicates (a few words changed).
  const dupCount = Math.max(2, Math.round(clean.length * 0.1));
  for (let i = 0; i < dupCount; i++) {
    const d = pick(english);
    docs.push({ id: `dup/${i}`, text: d.text, metadata: { source: 'exact-duplicate', of: d.id } });
    const words = d.text.split(' ');
    for (let k = 0; k < Math.max(1, Math.floor(words.length * 0.02)); k++) words[Math.floor(rnd() * words.length)] = pick(vocab.en);
    docs.push({ id: `near/${i}`, text: words.join(' '), metadata: { source: 'near-duplicate', of: d.id } });
  }

  // Repetitive pages, garbled text, other languages.
  const junkCount = Math.max(3, Math.round(clean.length * 0.05));
  for (let i = 0; i < junkCount; i++) {
    const line = pick(english).text.split('. ')[0]!;
    docs.push({ id: `repeat/${i}`, text: Array.from({ length: 12 }, () => line + '.').join('\n'), metadata: { source: 'repetitive' } });
    let g = '';
    for (let c = 0; c < 600; c++) g += rnd() < 0.15 ? ' ' : String.fromCharCode(0x21 + Math.floor(rnd() * 0x5e)) + (rnd() < 0.05 ? 'Ã©' : '');
    docs.push({ id: `garbled/${i}`, text: g, metadata: { source: 'garbled' } });
    docs.push({ id: `other/${i}`, text: Array.from({ length: 4 }, () => pick(OTHER_LANGUAGES)).join(' '), metadata: { source: 'other-language' } });
  }
  // A fixed shuffle: sources interleave as in a crawl.
  for (let i = docs.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [docs[i], docs[j]] = [docs[j]!, docs[i]!];
  }
  return docs;
}

/** Documents per source, for the report. */
export function countBySource(docs: readonly Doc[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of docs) {
    const s = String(d.metadata.source ?? 'unknown');
    out[s] = (out[s] ?? 0) + 1;
  }
  return out;
}

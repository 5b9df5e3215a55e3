// Features of how a document's sentences hang together. A document spliced from sentences of
// unrelated documents reads fine sentence by sentence (an n-gram model sees nothing wrong: its
// context barely crosses a sentence boundary), but its sentences share few content words with their
// neighbours. We measure that lexical cohesion several ways, bucket each measure, and pair each
// bucket with the document's length class (short documents repeat fewer words whatever their
// coherence); the buckets are hashed tokens for the logistic model, which learns what each is worth.
//
// Content terms: lowercased words of 3+ letters outside a stop list, with a crude suffix strip
// (s, es, ed, ing, ly), and for Chinese the character bigrams of Han runs. "Long" terms (7+
// letters, or Han bigrams) stand in for rarer words, whose sharing says more than a common word's.
// (Measured on Brown windows: weighting by corpus IDF or adding style features - sentence length
// spread, quoting, grammatical person - moved held-out accuracy by under one point, so neither is here.)
import { FeatureBuffer, fnv1a } from './hashed-features.js';
import { normalizeLine, splitSentences } from './text.js';

export interface CoherenceFeatureSpec {
  kind: 'coherence';
  /** Number of buckets, a power of two. */
  buckets: number;
  /** Documents with fewer sentences (that have content terms) are not scored. */
  min_sentences: number;
}

const STOP = new Set(
  ('the and for are but not you all any can had her was one our out has him his how its may new now old see two who did get let put say she too use that with have this will your from they know want been good much some time very when come here just like long make many more only over such take than them well were what which would there their about after again also back because before being between both could down each even first into most must other same should still those through under where while these then upon said made upon shall without however another every never little might ever though yet whom whose own off onto per via around among within during against above below across toward towards once').split(' '),
);

const WORD_RE = /\p{Script=Han}+|[\p{L}\p{M}\p{N}]+/gu;
const HAN_RE = /^\p{Script=Han}/u;

function stem(w: string): string {
  if (w.length > 5 && w.endsWith('ing')) return w.slice(0, -3);
  if (w.length > 4 && (w.endsWith('ed') || w.endsWith('es') || w.endsWith('ly'))) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

/** The content terms of one sentence. */
export function contentTerms(sentence: string): Set<string> {
  const out = new Set<string>();
  const s = normalizeLine(sentence);
  WORD_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = WORD_RE.exec(s)) !== null) {
    const w = m[0];
    if (HAN_RE.test(w)) {
      for (let i = 0; i + 1 < w.length; i++) out.add(w.slice(i, i + 2));
    } else if (w.length >= 3 && !STOP.has(w) && !/^0+$/.test(w)) {
      out.add(stem(w));
    }
  }
  return out;
}

export interface CoherenceStatistics {
  /** Sentences with content terms (only the first 32 are measured). */
  sentences: number;
  /** Mean set cosine of adjacent sentences. */
  adjacent: number;
  /** Share of adjacent pairs with no term in common. */
  adjacentZero: number;
  /** Mean share of a sentence's terms found within two sentences either side. */
  window: number;
  /** Mean share of a sentence's terms found anywhere else in the document. */
  recurrence: number;
  /** Share of sentences none of whose terms recur elsewhere. */
  isolated: number;
  /** Mean cosine of pairs 1-2 apart over the mean cosine of pairs 4+ apart (topic locality), capped at 8. */
  locality: number;
  /** Distinct terms over term occurrences. */
  typeToken: number;
  /** Mean share of a sentence's long terms (7+ letters, or Han bigrams, rarer words) found anywhere else. */
  longRecurrence: number;
  /** Mean set cosine of adjacent sentences over long terms only. */
  longAdjacent: number;
}

const MAX_SENTENCES = 32;
const isLong = (t: string): boolean => t.length >= 7 || HAN_RE.test(t);

function cosine(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let common = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const t of small) if (large.has(t)) common++;
  return common / Math.sqrt(a.size * b.size);
}

/** The cohesion measures of a text, from its sentences that have content terms. */
export function coherenceStatistics(text: string): CoherenceStatistics {
  const sentences = splitSentences(text)
    .map((s) => ({ s, terms: contentTerms(s) }))
    .filter((x) => x.terms.size > 0)
    .slice(0, MAX_SENTENCES);
  const sets = sentences.map((x) => x.terms);
  const m = sets.length;
  const st: CoherenceStatistics = { sentences: m, adjacent: 0, adjacentZero: 0, window: 0, recurrence: 0, isolated: 0, locality: 1, typeToken: 1, longRecurrence: 0, longAdjacent: 0 };
  if (m < 2) return st;
  const df = new Map<string, number>();
  let occurrences = 0;
  for (const s of sets) {
    occurrences += s.size;
    for (const t of s) df.set(t, (df.get(t) ?? 0) + 1);
  }
  st.typeToken = df.size / occurrences;
  for (let i = 0; i + 1 < m; i++) {
    const c = cosine(sets[i]!, sets[i + 1]!);
    st.adjacent += c;
    if (c === 0) st.adjacentZero++;
  }
  st.adjacent /= m - 1;
  st.adjacentZero /= m - 1;
  for (let i = 0; i < m; i++) {
    const s = sets[i]!;
    let inWindow = 0;
    let elsewhere = 0;
    for (const t of s) {
      if ((df.get(t) ?? 0) > 1) elsewhere++;
      for (let j = Math.max(0, i - 2); j <= Math.min(m - 1, i + 2); j++) {
        if (j !== i && sets[j]!.has(t)) {
          inWindow++;
          break;
        }
      }
    }
    st.window += inWindow / s.size;
    st.recurrence += elsewhere / s.size;
    if (elsewhere === 0) st.isolated++;
  }
  st.window /= m;
  st.recurrence /= m;
  st.isolated /= m;
  const longSets = sets.map((s) => new Set([...s].filter(isLong)));
  let withLong = 0;
  for (let i = 0; i < m; i++) {
    const s = longSets[i]!;
    if (s.size === 0) continue;
    withLong++;
    let elsewhere = 0;
    for (const t of s) if ((df.get(t) ?? 0) > 1) elsewhere++;
    st.longRecurrence += elsewhere / s.size;
  }
  if (withLong) st.longRecurrence /= withLong;
  for (let i = 0; i + 1 < m; i++) st.longAdjacent += cosine(longSets[i]!, longSets[i + 1]!);
  st.longAdjacent /= m - 1;
  let near = 0;
  let nearN = 0;
  let far = 0;
  let farN = 0;
  for (let i = 0; i < m; i++) {
    for (let j = i + 1; j < m; j++) {
      const d = j - i;
      if (d <= 2) {
        near += cosine(sets[i]!, sets[j]!);
        nearN++;
      } else if (d >= 4) {
        far += cosine(sets[i]!, sets[j]!);
        farN++;
      }
    }
  }
  if (nearN && farN) {
    const nearMean = near / nearN;
    const farMean = far / farN;
    st.locality = farMean > 0 ? Math.min(8, nearMean / farMean) : nearMean > 0 ? 8 : 1;
  }
  return st;
}

const FRACTION_EDGES = [0.02, 0.05, 0.08, 0.12, 0.16, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8];
const LOCALITY_EDGES = [0.5, 0.8, 1, 1.2, 1.5, 2, 3, 5];
const LENGTH_EDGES = [4, 6, 9, 13, 20, 27];

function bin(x: number, edges: readonly number[]): number {
  let i = 0;
  while (i < edges.length && x >= edges[i]!) i++;
  return i;
}

/**
 * Appends the hashed feature tokens of a text and returns its statistics, or returns undefined
 * (appending nothing) when it has fewer than `spec.min_sentences` sentences with content terms.
 */
export function coherenceFeatures(text: string, spec: CoherenceFeatureSpec, out: FeatureBuffer): CoherenceStatistics | undefined {
  const st = coherenceStatistics(text);
  if (st.sentences < spec.min_sentences) return undefined;
  const mask = spec.buckets - 1;
  const len = bin(st.sentences, LENGTH_EDGES);
  const emit = (name: string, b: number): void => {
    out.push(fnv1a(`${name}=${b}`) & mask);
    out.push(fnv1a(`${name}=${b}|len=${len}`) & mask);
  };
  out.push(fnv1a(`len=${len}`) & mask);
  emit('adjacent', bin(st.adjacent, FRACTION_EDGES));
  emit('adjacent_zero', bin(st.adjacentZero, FRACTION_EDGES));
  emit('window', bin(st.window, FRACTION_EDGES));
  emit('recurrence', bin(st.recurrence, FRACTION_EDGES));
  emit('isolated', bin(st.isolated, FRACTION_EDGES));
  emit('locality', bin(st.locality, LOCALITY_EDGES));
  emit('long_recurrence', bin(st.longRecurrence, FRACTION_EDGES));
  emit('long_adjacent', bin(st.longAdjacent, FRACTION_EDGES));
  emit('type_token', bin(st.typeToken, FRACTION_EDGES.map((e) => 0.4 + e * 0.6)));
  return st;
}

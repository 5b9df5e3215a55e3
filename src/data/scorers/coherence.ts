// The document-coherence scorer: flags documents made of unrelated sentences (Yi's "document
// coherence" scorer). Trained as a classifier of windows of consecutive sentences from real
// documents (label 'coherent') against windows of the same length spliced from sentences of other
// documents (label 'spliced': one sentence per source document, or blocks of 1-4 consecutive
// sentences from 2+ documents), over the lexical-cohesion features of coherence-features.ts.
// Held-out documents are split off before any window is built, so no test window shares a
// sentence with a training window.
//
// Why not the 5-gram model's perplexity of shuffled vs original order: a 5-gram context spans at
// most four tokens across a sentence boundary, so spliced documents, fluent sentence by sentence,
// score almost the same as the originals; cohesion across sentences is what splicing breaks.
import { mulberry32 } from '../../tensor/random.js';
import { path, ratio, stageName, type OptionSchema } from '../options/schema.js';
import type { DocStage } from '../types.js';
import { classifierStage } from './classifier-stage.js';
import { TextClassifier } from './classifier-model.js';
import { splitHeldOut, type ClassifierTrainingStats } from './classifier-train.js';
import type { CoherenceFeatureSpec } from './coherence-features.js';
import { FeatureBuffer } from './hashed-features.js';
import { binaryMetrics, LogisticModel, trainLogistic, type Example } from './logistic.js';
import { collectTexts, type TextInput } from './text-input.js';
import { splitSentences } from './text.js';

export interface TrainCoherenceOptions {
  /** Coherent documents (long ones give several windows). */
  input: TextInput;
  /** Shortest window (and the fewest sentences the stage scores). Default 3. */
  minSentences?: number;
  /** Longest window. Default 32 (the features measure a document's first 32 sentences). */
  maxSentences?: number;
  /** Windows taken from one document at most. Default 8. */
  windowsPerDocument?: number;
  /** log2 of the number of hash buckets. Default 12. */
  bucketBits?: number;
  /** Default 10. */
  epochs?: number;
  /** Default 4. */
  learningRate?: number;
  /** Fraction of documents held out. Default 0.2. */
  heldOutFraction?: number;
  /** Threshold the held-out accuracy is measured at. Default 0.5. */
  threshold?: number;
  seed?: number;
  maxDocuments?: number;
}

type Rnd = () => number;
const int = (r: Rnd, lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));

/** Coherent windows and, for each, a spliced window of the same length, from a set of documents. */
export function coherenceExamples(docs: readonly string[][], r: Rnd, o: { min: number; max: number; perDoc: number }): { coherent: string[]; spliced: string[] } {
  const coherent: string[] = [];
  const spliced: string[] = [];
  const join = (ss: string[]): string => ss.join(r() < 0.7 ? ' ' : '\n');
  if (docs.length < 2) return { coherent, spliced };
  // A document other than the window's own and, when there are enough, other than the previous pick.
  const otherDoc = (own: number, prev: number): number => {
    for (;;) {
      const d = Math.floor(r() * docs.length);
      if (d !== own && (d !== prev || docs.length < 3)) return d;
    }
  };
  for (let di = 0; di < docs.length; di++) {
    const doc = docs[di]!;
    let pos = 0;
    for (let w = 0; w < o.perDoc && pos + o.min <= doc.length; w++) {
      const m = Math.min(int(r, o.min, o.max), doc.length - pos);
      coherent.push(join(doc.slice(pos, pos + m)));
      pos += m;
      const out: string[] = [];
      if (r() < 0.5) {
        // One sentence from each of m different documents in turn.
        let d = di;
        while (out.length < m) {
          d = otherDoc(di, d);
          const src = docs[d]!;
          out.push(src[Math.floor(r() * src.length)]!);
        }
      } else {
        // Blocks of 1-4 consecutive sentences, each block from another document.
        let d = di;
        while (out.length < m) {
          d = otherDoc(di, d);
          const src = docs[d]!;
          const b = Math.min(int(r, 1, 4), m - out.length, src.length);
          const at = Math.floor(r() * (src.length - b + 1));
          out.push(...src.slice(at, at + b));
        }
      }
      spliced.push(join(out));
    }
  }
  return { coherent, spliced };
}

export async function trainCoherenceClassifier(opts: TrainCoherenceOptions): Promise<{ model: TextClassifier; stats: ClassifierTrainingStats }> {
  const t0 = performance.now();
  const min = opts.minSentences ?? 3;
  const max = opts.maxSentences ?? 32;
  if (!(Number.isInteger(min) && min >= 2 && Number.isInteger(max) && max >= min)) throw new Error(`minSentences must be an integer >= 2 and maxSentences >= minSentences (got ${min}, ${max})`);
  const bits = opts.bucketBits ?? 12;
  if (!(Number.isInteger(bits) && bits >= 4 && bits <= 24)) throw new Error(`bucketBits must be an integer from 4 to 24 (got ${bits})`);
  const epochs = opts.epochs ?? 10;
  const learningRate = opts.learningRate ?? 4;
  const fraction = opts.heldOutFraction ?? 0.2;
  if (!(fraction > 0 && fraction < 1)) throw new Error(`heldOutFraction must be in (0, 1) (got ${fraction})`);
  const seed = opts.seed ?? 0;
  const spec: CoherenceFeatureSpec = { kind: 'coherence', buckets: 2 ** bits, min_sentences: min };

  const texts = await collectTexts(opts.input, 'input', opts.maxDocuments);
  const docs = texts.map(splitSentences).filter((s) => s.length >= min);
  if (docs.length < 4) throw new Error(`coherence training needs at least 4 documents of ${min}+ sentences (got ${docs.length} of ${texts.length})`);
  const [trainDocs, heldDocs] = splitHeldOut(docs, fraction, seed);
  const r = mulberry32(seed + 11);
  const shape = { min, max, perDoc: opts.windowsPerDocument ?? 8 };
  const train = coherenceExamples(trainDocs, r, shape);
  const held = coherenceExamples(heldDocs, r, shape);

  const draft = new TextClassifier('coherence', spec, new LogisticModel(new Float32Array(spec.buckets), 0), { labels: { positive: 'coherent', negative: 'spliced' } });
  const buf = new FeatureBuffer();
  const examples: Example[] = [];
  const add = (t: string, label: 0 | 1): void => {
    const f = draft.featurize(t, buf);
    if (f) examples.push({ features: f.slice(), label });
  };
  for (const t of train.coherent) add(t, 1);
  for (const t of train.spliced) add(t, 0);
  const lm = trainLogistic(examples, spec.buckets, { epochs, learningRate, seed, balance: true });
  const trainSeconds = (performance.now() - t0) / 1000;

  const s0 = performance.now();
  const scored = new TextClassifier('coherence', spec, lm, draft.info);
  const scores: number[] = [];
  const labels: number[] = [];
  for (const [set, label] of [[held.coherent, 1], [held.spliced, 0]] as const) {
    for (const t of set) {
      const p = scored.probability(t);
      if (p === undefined) continue;
      scores.push(p);
      labels.push(label);
    }
  }
  const scoreSeconds = (performance.now() - s0) / 1000;
  const heldOut = binaryMetrics(scores, labels, opts.threshold ?? 0.5);
  const seconds = (performance.now() - t0) / 1000;
  const trainPositives = examples.filter((e) => e.label === 1).length;
  const training = { documents: trainDocs.length, held_out_documents: heldDocs.length, positives: trainPositives, negatives: examples.length - trainPositives, epochs, learning_rate: learningRate, seed };
  return {
    model: new TextClassifier('coherence', spec, lm, { labels: draft.info.labels, metrics: heldOut, training }),
    stats: {
      trainPositives,
      trainNegatives: examples.length - trainPositives,
      heldOut,
      seconds,
      documentsPerSecond: examples.length / trainSeconds,
      scoringDocumentsPerSecond: scores.length / scoreSeconds,
    },
  };
}

export interface CoherenceStageOptions {
  /** Stage name (stats key). Default 'coherence'. */
  name: string;
  /** A file from `yi data train-coherence`, or a loaded classifier. */
  model?: string | TextClassifier;
  /** Drop (reason 'incoherent') when p(coherent) < threshold. Default 0.2. */
  threshold: number;
}

/** The options a pipeline file can give (a model as a file path). */
export const COHERENCE_STAGE_SCHEMA: OptionSchema<CoherenceStageOptions> = { name: stageName, model: path, threshold: ratio };

export function coherenceStage(options: Partial<CoherenceStageOptions> = {}): DocStage {
  const o: CoherenceStageOptions = { name: 'coherence', threshold: 0.2, ...options };
  return classifierStage({ ...o, scorer: 'coherence', scorerType: 'coherence', trainCommand: 'yi data train-coherence', scoreKey: 'coherence_score', reason: 'incoherent' });
}

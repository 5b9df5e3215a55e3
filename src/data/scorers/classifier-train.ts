// Training a hashed n-gram text classifier from two lists of documents, with a seeded held-out
// split per class whose metrics go into the model file. The quality and safety scorers use it.
import { mulberry32 } from '../../tensor/random.js';
import { TextClassifier, type ClassifierInfo } from './classifier-model.js';
import { checkNgramSpec, FeatureBuffer, ngramFeatures, type NgramFeatureSpec } from './hashed-features.js';
import { binaryMetrics, trainLogistic, type BinaryMetrics, type Example } from './logistic.js';

export interface ClassifierTrainOptions {
  /** log2 of the number of hash buckets. Default 20 (2^20 buckets, a 4 MiB model). */
  bucketBits?: number;
  /** Longest word n-gram. Default 2 (fastText -wordNgrams 2). */
  wordNgrams?: number;
  /** Character n-gram lengths [min, max], or null for none. Default [3, 5]. */
  charNgrams?: [number, number] | null;
  /** Passes over the training documents. Default 5. */
  epochs?: number;
  /** Initial SGD learning rate (decays linearly to 0). Default 16: features are averaged, so each weight moves by about lr / (features in the document). */
  learningRate?: number;
  /** Fraction of each class held out to measure accuracy and AUC. Default 0.2. */
  heldOutFraction?: number;
  /** Seeds the split and the SGD order. Default 0. */
  seed?: number;
  /** Probability threshold the held-out accuracy is measured at. Default 0.5. */
  threshold?: number;
}

export interface ClassifierTrainingStats {
  trainPositives: number;
  trainNegatives: number;
  heldOut: BinaryMetrics;
  seconds: number;
  /** Training documents per second: featurizing each once plus every SGD epoch. */
  documentsPerSecond: number;
  /** Held-out documents scored per second (featurizing + prediction). */
  scoringDocumentsPerSecond: number;
}

/** Seeded Fisher-Yates shuffle of a copy. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const a = [...items];
  const r = mulberry32(seed);
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** Splits a class into [train, held-out]: a seeded shuffle, then `fraction` of it held out (at least one when there are two or more). */
export function splitHeldOut<T>(items: readonly T[], fraction: number, seed: number): [T[], T[]] {
  const a = shuffled(items, seed);
  let k = Math.round(a.length * fraction);
  if (fraction > 0 && k === 0 && a.length >= 2) k = 1;
  return [a.slice(k), a.slice(0, k)];
}

export function ngramSpecFrom(opts: ClassifierTrainOptions): NgramFeatureSpec {
  const bits = opts.bucketBits ?? 20;
  if (!Number.isInteger(bits) || bits < 1 || bits > 28) throw new Error(`bucketBits must be an integer from 1 to 28 (got ${bits})`);
  const spec: NgramFeatureSpec = { kind: 'ngrams', buckets: 2 ** bits, word_ngrams: opts.wordNgrams ?? 2, char_ngrams: opts.charNgrams === null ? [0, 0] : (opts.charNgrams ?? [3, 5]) };
  checkNgramSpec(spec, 'classifier options');
  return spec;
}

/** Trains on `positives` (label 1) against `negatives` (label 0). */
export function trainNgramClassifier(
  scorer: string,
  positives: readonly string[],
  negatives: readonly string[],
  labels: ClassifierInfo['labels'],
  opts: ClassifierTrainOptions = {},
  extra: Record<string, unknown> = {},
): { model: TextClassifier; stats: ClassifierTrainingStats } {
  const t0 = performance.now();
  const spec = ngramSpecFrom(opts);
  const fraction = opts.heldOutFraction ?? 0.2;
  if (!(fraction >= 0 && fraction < 1)) throw new Error(`heldOutFraction must be in [0, 1) (got ${fraction})`);
  const epochs = opts.epochs ?? 5;
  const learningRate = opts.learningRate ?? 16;
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`epochs must be a positive integer (got ${epochs})`);
  if (!(learningRate > 0)) throw new Error(`learningRate must be positive (got ${learningRate})`);
  if (positives.length === 0) throw new Error(`${scorer}: no ${labels.positive} (positive) documents`);
  if (negatives.length === 0) throw new Error(`${scorer}: no ${labels.negative} (negative) documents`);
  const seed = opts.seed ?? 0;
  const [posTrain, posHeld] = splitHeldOut(positives, fraction, seed);
  const [negTrain, negHeld] = splitHeldOut(negatives, fraction, seed + 1);

  const buf = new FeatureBuffer();
  const feats = (t: string): Uint32Array => {
    buf.clear();
    ngramFeatures(t, spec, buf);
    return buf.take();
  };
  const examples: Example[] = [...posTrain.map((t) => ({ features: feats(t), label: 1 as const })), ...negTrain.map((t) => ({ features: feats(t), label: 0 as const }))];
  const lm = trainLogistic(examples, spec.buckets, { epochs, learningRate, seed, balance: true });
  const trainSeconds = (performance.now() - t0) / 1000;

  const s0 = performance.now();
  const draft = new TextClassifier(scorer, spec, lm, { labels });
  const held = [...posHeld, ...negHeld];
  const scores = held.map((t) => draft.probability(t)!);
  const scoreSeconds = (performance.now() - s0) / 1000;
  const heldOut = binaryMetrics(scores, [...posHeld.map(() => 1), ...negHeld.map(() => 0)], opts.threshold ?? 0.5);
  const seconds = (performance.now() - t0) / 1000;
  const training = { positives: posTrain.length, negatives: negTrain.length, epochs, learning_rate: learningRate, seed };
  return {
    model: new TextClassifier(scorer, spec, lm, { labels, metrics: heldOut, training }, extra),
    stats: {
      trainPositives: posTrain.length,
      trainNegatives: negTrain.length,
      heldOut,
      seconds,
      documentsPerSecond: examples.length / trainSeconds,
      scoringDocumentsPerSecond: held.length / scoreSeconds,
    },
  };
}

// Binary logistic regression over hashed features, averaged per document as fastText averages its
// word vectors: p = sigmoid(b + (1/n) sum_i w[f_i]). For two classes a fastText model (embedding E,
// output vector v) computes sigmoid(v . E^T x) = sigmoid((E v) . x): the same family of functions,
// with d times the parameters. So we fit the weight vector directly: 4 bytes per bucket instead of
// 4d, and a convex loss. Trained with plain SGD and a learning rate decaying linearly to zero (as
// fastText), examples shuffled each epoch by the project's seeded generator.
import { mulberry32 } from '../../tensor/random.js';

export interface Example {
  features: Uint32Array;
  /** 1 = the positive class. */
  label: 0 | 1;
}

export interface LogisticTrainOptions {
  epochs: number;
  learningRate: number;
  seed: number;
  /** Weight the classes so that each contributes half of the loss. */
  balance: boolean;
}

export class LogisticModel {
  constructor(
    /** One weight per bucket. */
    readonly weights: Float32Array,
    public bias: number,
  ) {}

  get buckets(): number {
    return this.weights.length;
  }

  /** The model's logit for a document's features (the first `n`). */
  logit(features: ArrayLike<number>, n = features.length): number {
    if (n === 0) return this.bias;
    let s = 0;
    for (let i = 0; i < n; i++) s += this.weights[features[i]!]!;
    return this.bias + s / n;
  }

  probability(features: ArrayLike<number>, n = features.length): number {
    return sigmoid(this.logit(features, n));
  }
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function trainLogistic(examples: readonly Example[], buckets: number, opts: LogisticTrainOptions): LogisticModel {
  if (examples.length === 0) throw new Error('no training examples');
  const model = new LogisticModel(new Float32Array(buckets), 0);
  const pos = examples.reduce((a, e) => a + e.label, 0);
  const neg = examples.length - pos;
  const classWeight = [1, 1];
  if (opts.balance && pos > 0 && neg > 0) {
    classWeight[0] = examples.length / (2 * neg);
    classWeight[1] = examples.length / (2 * pos);
  }
  const rnd = mulberry32(opts.seed);
  const order = Array.from(examples.keys());
  const total = opts.epochs * examples.length;
  let step = 0;
  const w = model.weights;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const idx of order) {
      const ex = examples[idx]!;
      const lr = opts.learningRate * (1 - step / total);
      step++;
      const g = (model.probability(ex.features) - ex.label) * classWeight[ex.label]! * lr;
      model.bias -= g;
      const n = ex.features.length;
      if (n === 0) continue;
      const gi = g / n;
      for (let i = 0; i < n; i++) w[ex.features[i]!]! -= gi;
    }
  }
  return model;
}

export interface BinaryMetrics {
  n: number;
  positives: number;
  /** At the given threshold. */
  threshold: number;
  accuracy: number;
  precision: number;
  recall: number;
  /** Area under the ROC curve (ties count half). */
  auc: number;
}

/** Accuracy, precision and recall at `threshold`, and ROC AUC, of probabilities against 0/1 labels. */
export function binaryMetrics(scores: readonly number[], labels: readonly number[], threshold = 0.5): BinaryMetrics {
  const n = scores.length;
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < n; i++) {
    const yes = scores[i]! >= threshold;
    if (labels[i] === 1) yes ? tp++ : fn++;
    else yes ? fp++ : tn++;
  }
  // AUC = P(score of a random positive > score of a random negative), by ranks with ties averaged.
  const idx = Array.from(scores.keys()).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[idx[j + 1]!] === scores[idx[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[idx[k]!] === 1) rankSum += rank;
    i = j + 1;
  }
  const P = tp + fn;
  const N = tn + fp;
  return {
    n,
    positives: P,
    threshold,
    accuracy: n ? (tp + tn) / n : NaN,
    precision: tp + fp ? tp / (tp + fp) : NaN,
    recall: P ? tp / P : NaN,
    auc: P && N ? (rankSum - (P * (P + 1)) / 2) / (P * N) : NaN,
  };
}

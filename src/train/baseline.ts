// The unigram baseline of a token dataset: the cross-entropy (nats/token) on the validation split of
// a model that ignores context, fitted on the training split (add-one smoothed). A language model
// has learned something about context only once its validation loss is clearly below this.
import type { TokenDataset, TokenSplit } from './shards.js';

const WINDOW = 1 << 20;

function countTokens(split: TokenSplit, vocab: number, counts: Float64Array): void {
  const buf = new Uint32Array(WINDOW);
  for (let at = 0; at < split.tokens; at += WINDOW) {
    const n = Math.min(WINDOW, split.tokens - at);
    const w = split.read(at, n, buf);
    for (let i = 0; i < n; i++) {
      const t = w[i]!;
      if (t < vocab) counts[t]!++;
    }
  }
}

export interface UnigramBaseline {
  /** Cross-entropy of the train-split unigram model on the val split (train on itself when no val split). */
  crossEntropy: number;
  /** Entropy of the train split's own unigram distribution. */
  trainEntropy: number;
  split: 'val' | 'train';
}

export function unigramBaseline(dataset: TokenDataset): UnigramBaseline {
  const vocab = dataset.meta.vocabSize;
  const train = new Float64Array(vocab);
  countTokens(dataset.split('train'), vocab, train);
  const total = train.reduce((s, c) => s + c, 0);
  let trainEntropy = 0;
  for (const c of train) if (c > 0) trainEntropy -= (c / total) * Math.log(c / total);
  const valSplit = dataset.split('val');
  if (valSplit.tokens === 0) return { crossEntropy: trainEntropy, trainEntropy, split: 'train' };
  const val = new Float64Array(vocab);
  countTokens(valSplit, vocab, val);
  const valTotal = val.reduce((s, c) => s + c, 0);
  let ce = 0;
  for (let t = 0; t < vocab; t++) if (val[t]! > 0) ce -= (val[t]! / valTotal) * Math.log((train[t]! + 1) / (total + vocab));
  return { crossEntropy: ce, trainEntropy, split: 'val' };
}

// A pipeline stage around a saved binary classifier: the score goes into the document's metadata,
// documents scoring below the threshold are dropped, documents it cannot score are kept and counted.
import { optionError } from '../options/resolve.js';
import type { DocStage, StageResult } from '../types.js';
import { TextClassifier } from './classifier-model.js';
import { cachedModel } from './model-cache.js';

export interface ClassifierStageSpec {
  name: string;
  /** The scorer kind stored in the model file ('quality', 'coherence'). */
  scorer: 'quality' | 'coherence';
  /** The stage type, for errors. */
  scorerType: string;
  /** A model file path, or a loaded classifier. */
  model?: string | TextClassifier;
  threshold: number;
  /** The command that trains the model (for the error when it is missing). */
  trainCommand: string;
  /** Metadata key of the score, and the drop reason. */
  scoreKey: string;
  reason: string;
}

export function classifierStage(o: ClassifierStageSpec): DocStage {
  if (o.model === undefined) throw optionError(o.scorerType, o, 'model', `(a file from \`${o.trainCommand}\`) is required`);
  if (!(typeof o.threshold === 'number' && o.threshold >= 0 && o.threshold <= 1)) throw optionError(o.scorerType, o, 'threshold', `must be a number from 0 to 1, got ${o.threshold}`);
  let clf: TextClassifier | undefined;
  const ready = (): TextClassifier => (clf ??= typeof o.model === 'string' ? cachedModel(o.scorer, o.model, (p) => TextClassifier.load(p, o.scorer)) : o.model!);
  return {
    name: o.name,
    kind: 'scorer',
    async init() {
      ready();
    },
    process(doc): StageResult {
      const p = ready().probability(doc.text);
      // Nothing to judge (too few sentences for coherence): kept, and counted.
      if (p === undefined) return { keep: true, doc, counts: { unscored: 1 } };
      if (p < o.threshold) return { keep: false, reason: o.reason };
      return { keep: true, doc: { ...doc, metadata: { ...doc.metadata, [o.scoreKey]: Math.round(p * 1e4) / 1e4 } } };
    },
  };
}

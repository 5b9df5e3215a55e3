// The document-quality scorer (GPT-3 / LLaMA / RedPajama-V1): a fastText-style linear classifier
// of reference text (label 'reference') against web text (label 'web'); a document is kept when
// p(reference) >= 0.25, RedPajama-V1's threshold. Without web text to train on, the negatives are
// synthetic web junk built from the reference text's own words (web-junk.ts).
import { path, ratio, stageName, type OptionSchema } from '../options/schema.js';
import type { DocStage } from '../types.js';
import { classifierStage } from './classifier-stage.js';
import { TextClassifier } from './classifier-model.js';
import { trainNgramClassifier, type ClassifierTrainingStats, type ClassifierTrainOptions } from './classifier-train.js';
import { collectTexts, type TextInput } from './text-input.js';
import { junkVocabulary, webJunkDocuments } from './web-junk.js';

export interface TrainQualityOptions extends ClassifierTrainOptions {
  /** Reference-quality documents (Wikipedia, books, edited prose). */
  positives: TextInput;
  /** Web documents; default: synthetic web junk, as many as the positives. */
  negatives?: TextInput;
  /** Reads at most this many documents of each class. */
  maxDocuments?: number;
}

const HAN = /\p{Script=Han}/u;

export async function trainQualityClassifier(opts: TrainQualityOptions): Promise<{ model: TextClassifier; stats: ClassifierTrainingStats; syntheticNegatives: boolean }> {
  const positives = await collectTexts(opts.positives, 'positives', opts.maxDocuments);
  let negatives: string[];
  const synthetic = opts.negatives === undefined;
  if (opts.negatives !== undefined) {
    negatives = await collectTexts(opts.negatives, 'negatives', opts.maxDocuments);
  } else {
    const zh = positives.filter((t) => HAN.test(t)).length;
    negatives = webJunkDocuments(positives.length, { seed: (opts.seed ?? 0) + 7, vocabulary: junkVocabulary(positives), chineseShare: zh / Math.max(1, positives.length) });
  }
  const { model, stats } = trainNgramClassifier('quality', positives, negatives, { positive: 'reference', negative: 'web' }, { threshold: 0.25, ...opts }, { synthetic_negatives: synthetic });
  return { model, stats, syntheticNegatives: synthetic };
}

export interface QualityStageOptions {
  /** Stage name (stats key). Default 'quality_classifier'. */
  name: string;
  /** A file from `yi data train-quality`, or a loaded classifier. */
  model?: string | TextClassifier;
  /** Keep when p(reference) >= threshold. Default 0.25 (RedPajama-V1). */
  threshold: number;
}

/** The options a pipeline file can give (a model as a file path). */
export const QUALITY_STAGE_SCHEMA: OptionSchema<QualityStageOptions> = { name: stageName, model: path, threshold: ratio };

export function qualityStage(options: Partial<QualityStageOptions> = {}): DocStage {
  const o: QualityStageOptions = { name: 'quality_classifier', threshold: 0.25, ...options };
  return classifierStage({ ...o, scorer: 'quality', scorerType: 'quality_classifier', trainCommand: 'yi data train-quality', scoreKey: 'quality_score', reason: 'low_quality' });
}

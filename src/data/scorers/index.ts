// The learned scorers of the cleaning pipeline: perplexity (5-gram Kneser-Ney), document quality,
// coherence and safety; each trainable (train* functions, `yi data train-*`) and saved as a file.
import type { OptionRule } from '../options/schema.js';
import type { DocStage } from '../types.js';
import { COHERENCE_STAGE_SCHEMA, coherenceStage } from './coherence.js';
import { PERPLEXITY_STAGE_SCHEMA, perplexityStage } from './perplexity-stage.js';
import { QUALITY_STAGE_SCHEMA, qualityStage } from './quality.js';
import { SAFETY_STAGE_SCHEMA, safetyStage } from './safety.js';

/** Stage factories by the type names pipeline files use. */
export const scorerFactories: Record<string, (opts?: any) => DocStage> = {
  perplexity: perplexityStage,
  quality_classifier: qualityStage,
  coherence: coherenceStage,
  safety: safetyStage,
};

/** Each type's option schema for pipeline files (models and lists as file paths). */
export const scorerSchemas: Record<string, Record<string, OptionRule>> = {
  perplexity: PERPLEXITY_STAGE_SCHEMA,
  quality_classifier: QUALITY_STAGE_SCHEMA,
  coherence: COHERENCE_STAGE_SCHEMA,
  safety: SAFETY_STAGE_SCHEMA,
};

export { TextClassifier, type ClassifierInfo, type FeatureSpec } from './classifier-model.js';
export type { ClassifierTrainingStats, ClassifierTrainOptions } from './classifier-train.js';
export { coherenceStage, trainCoherenceClassifier, type CoherenceStageOptions, type TrainCoherenceOptions } from './coherence.js';
export { KneserNeyCounter, KneserNeyModel } from './kneser-ney.js';
export type { BinaryMetrics } from './logistic.js';
export { ScorerModelError } from './model-file.js';
export { PerplexityModel, type PerplexityBucket, type PerplexityCutoffs, type PerplexityModelInfo } from './perplexity-model.js';
export { perplexityStage, type PerplexityStageOptions } from './perplexity-stage.js';
export { trainPerplexityModel, type PerplexityTrainingStats, type TrainPerplexityOptions } from './perplexity-train.js';
export { qualityStage, trainQualityClassifier, type QualityStageOptions, type TrainQualityOptions } from './quality.js';
export { brownDocuments, bundledReferenceDocuments, chineseReferenceDocuments } from './reference-corpus.js';
export { defaultSafetyListsDir, readSafetyLists, SafetyMatcher, type SafetyLists } from './safety-lists.js';
export { safetyStage, trainSafetyClassifier, type SafetyStageOptions, type TrainSafetyOptions } from './safety.js';
export type { TextInput } from './text-input.js';
export { webJunkDocuments } from './web-junk.js';
export { cachedDefaultScorers, defaultScorerCacheDir, defaultScorerFiles, defaultScorerOptions, trainDefaultScorers, type DefaultScorerFiles, type DefaultScorerOptions } from './defaults.js';

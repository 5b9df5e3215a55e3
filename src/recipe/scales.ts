// How big the recipe runs: corpus, tokenizer, model and training budget per scale. `tiny` finishes in
// about a minute (CI); `small` is the README's demo (about 10 minutes on 2 cores); `medium` wants
// more cores or more patience.
import type { PresetName, YiConfig } from '../model/config.js';

export interface RecipeScale {
  /** Brown texts in the raw corpus (of 500). */
  englishDocuments: number;
  /** Web-junk documents per clean document. */
  junkPerDocument: number;
  /** Reference documents the scorers train on. */
  referenceDocuments: number;
  /** k of the cluster filter. */
  clusters: number;
  vocabSize: number;
  valFraction: number;
  /** The architecture: a preset scaled down from yi-6b (GQA, SwiGLU, RoPE base 5e6, RMSNorm), with overrides. */
  model: PresetName;
  modelOverrides: Partial<YiConfig>;
  seqLen: number;
  batchTokens: number;
  lr: number;
  /** Default wall-clock budget of the whole recipe. */
  minutes: number;
  /** Seconds kept for the samples and the report. */
  reserveSeconds: number;
  /** Pretraining gets at least this long, even when the stages before it used up the budget. */
  minTrainSeconds: number;
  /** Steps trained even when they do not fit the time (a model worth sampling); the run then reports going over. */
  minSteps: number;
  /** Steps at most: a fast machine ends early instead of training longer than the scale is meant for. */
  maxSteps: number;
  evalTokens: number;
  prompts: string[];
  sampleTokens: number;
  /** Chat finetuning after pretraining (yi sft on the chat-facts set): its share of the time pretraining
   *  would otherwise get (0: no finetuning), and its shape. */
  sft: {
    share: number;
    seqLen: number;
    /** Sequences per step. */
    batch: number;
    lr: number;
    /** Steps of a fixed-step recipe (--steps). */
    steps: number;
    minSteps: number;
    maxSteps: number;
    /** Training conversations used (the first N of the set's seeded order; default all). */
    trainSamples?: number;
    /** Held-out prompts answered before and after. */
    evalGenerations: number;
  };
}

const PROMPTS = ['The', 'It was', 'In the morning', '我们', '中国的'];

export const SCALES = {
  tiny: {
    englishDocuments: 40,
    junkPerDocument: 1,
    referenceDocuments: 400,
    clusters: 4,
    vocabSize: 1200,
    valFraction: 0.05,
    model: 'tiny',
    modelOverrides: { maxPositions: 512, ropeTheta: 5_000_000 },
    seqLen: 64,
    batchTokens: 1024,
    lr: 3e-3,
    minutes: 1.5,
    reserveSeconds: 10,
    minTrainSeconds: 3,
    minSteps: 10,
    maxSteps: 60,
    evalTokens: 4096,
    prompts: PROMPTS,
    sampleTokens: 24,
    sft: { share: 0.2, seqLen: 128, batch: 8, lr: 3e-3, steps: 20, minSteps: 5, maxSteps: 60, trainSamples: 600, evalGenerations: 16 },
  },
  small: {
    englishDocuments: 500,
    junkPerDocument: 1,
    referenceDocuments: 2000,
    clusters: 8,
    vocabSize: 4000,
    valFraction: 0.03,
    model: 'yi-mini',
    modelOverrides: {},
    seqLen: 256,
    batchTokens: 4096,
    lr: 3e-3,
    minutes: 10,
    reserveSeconds: 30,
    minTrainSeconds: 60,
    minSteps: 20,
    maxSteps: 5000,
    evalTokens: 32768,
    prompts: PROMPTS,
    sampleTokens: 48,
    sft: { share: 0.25, seqLen: 256, batch: 16, lr: 1e-3, steps: 150, minSteps: 20, maxSteps: 3000, evalGenerations: 100 },
  },
  medium: {
    englishDocuments: 500,
    junkPerDocument: 1,
    referenceDocuments: 4000,
    clusters: 12,
    vocabSize: 8000,
    valFraction: 0.03,
    model: 'yi-mini',
    modelOverrides: { hidden: 384, layers: 6, heads: 12, kvHeads: 3, headDim: 32, ffn: 1024 },
    seqLen: 512,
    batchTokens: 16384,
    lr: 2e-3,
    minutes: 60,
    reserveSeconds: 60,
    minTrainSeconds: 300,
    minSteps: 50,
    maxSteps: 20000,
    evalTokens: 65536,
    prompts: PROMPTS,
    sampleTokens: 64,
    sft: { share: 0.25, seqLen: 512, batch: 32, lr: 5e-4, steps: 300, minSteps: 50, maxSteps: 10000, evalGenerations: 200 },
  },
} satisfies Record<string, RecipeScale>;

export type ScaleName = keyof typeof SCALES;

// The safety scorer (Yi: violence, pornography, gambling, propaganda): word lists per category
// plus a hashed n-gram classifier of unsafe (label 'unsafe') against safe ('safe') text. A
// document is dropped with reason `unsafe_<category>` when a category's terms occur often enough
// (count and density), else with `unsafe_classifier` when p(unsafe) >= threshold. The model file
// stores the lists it was trained with, so a trained file is all a pipeline needs.
import { optionError } from '../options/resolve.js';
import { integer, path, ratio, stageName, type OptionSchema } from '../options/schema.js';
import type { DocStage, StageResult } from '../types.js';
import { TextClassifier } from './classifier-model.js';
import { trainNgramClassifier, type ClassifierTrainingStats, type ClassifierTrainOptions } from './classifier-train.js';
import { cachedModel } from './model-cache.js';
import { readSafetyLists, SafetyMatcher, type SafetyLists } from './safety-lists.js';
import { unsafeExamples } from './safety-examples.js';
import { collectTexts, type TextInput } from './text-input.js';

export interface TrainSafetyOptions extends ClassifierTrainOptions {
  /** Safe documents (e.g. the reference corpus). */
  safe: TextInput;
  /** Labelled unsafe documents; default: synthetic ones from templates and the word lists (safety-examples.ts). */
  unsafe?: TextInput;
  /** Word lists to store with the model: a folder of <category>.txt, or the lists. Default: the bundled samples. */
  lists?: string | SafetyLists;
  maxDocuments?: number;
}

export async function trainSafetyClassifier(opts: TrainSafetyOptions): Promise<{ model: TextClassifier; stats: ClassifierTrainingStats; syntheticUnsafe: boolean }> {
  const lists = typeof opts.lists === 'object' ? opts.lists : readSafetyLists(opts.lists);
  new SafetyMatcher(lists); // validates the lists
  const safe = await collectTexts(opts.safe, 'safe', opts.maxDocuments);
  const synthetic = opts.unsafe === undefined;
  const unsafe =
    opts.unsafe !== undefined
      ? await collectTexts(opts.unsafe, 'unsafe', opts.maxDocuments)
      : unsafeExamples(Math.max(40, Math.min(2000, safe.length)), lists, { seed: (opts.seed ?? 0) + 13, context: safe.slice(0, 200) }).map((e) => e.text);
  const { model, stats } = trainNgramClassifier('safety', unsafe, safe, { positive: 'unsafe', negative: 'safe' }, opts, { lists, synthetic_unsafe: synthetic });
  return { model, stats, syntheticUnsafe: synthetic };
}

export interface SafetyStageOptions {
  /** Stage name (stats key). Default 'safety'. */
  name: string;
  /** A file from `yi data train-safety`, or a loaded classifier. Without one, only the word lists apply. */
  model?: string | TextClassifier;
  /** Word lists: a folder of <category>.txt, or the lists. Default: the model's lists, else the bundled samples. */
  lists?: string | SafetyLists;
  /** Drop (unsafe_classifier) when p(unsafe) >= threshold. Default 0.5. */
  threshold: number;
  /** A category drops a document with at least this many term occurrences... Default 3. */
  minHits: number;
  /** ...and at least this many occurrences per token (a word, or a Han character). Default 0.005. */
  minDensity: number;
}

/** The options a pipeline file can give (a model and lists as paths). */
export const SAFETY_STAGE_SCHEMA: OptionSchema<SafetyStageOptions> = { name: stageName, model: path, lists: path, threshold: ratio, minHits: integer(1), minDensity: ratio };

export function safetyStage(options: Partial<SafetyStageOptions> = {}): DocStage {
  const o: SafetyStageOptions = { name: 'safety', threshold: 0.5, minHits: 3, minDensity: 0.005, ...options };
  if (!(typeof o.threshold === 'number' && o.threshold >= 0 && o.threshold <= 1)) throw optionError('safety', o, 'threshold', `must be a number from 0 to 1, got ${o.threshold}`);
  if (!(Number.isInteger(o.minHits) && o.minHits >= 1)) throw optionError('safety', o, 'minHits', `must be a whole number >= 1, got ${o.minHits}`);
  if (!(typeof o.minDensity === 'number' && o.minDensity >= 0 && o.minDensity <= 1)) throw optionError('safety', o, 'minDensity', `must be a number from 0 to 1, got ${o.minDensity}`);
  let state: { clf?: TextClassifier; matcher: SafetyMatcher } | undefined;
  const ready = (): NonNullable<typeof state> => {
    if (state) return state;
    const clf = typeof o.model === 'string' ? cachedModel('safety', o.model, (p) => TextClassifier.load(p, 'safety')) : o.model;
    let lists: SafetyLists;
    if (typeof o.lists === 'object') lists = o.lists;
    else if (typeof o.lists === 'string') lists = readSafetyLists(o.lists);
    else if (clf?.extra.lists) lists = clf.extra.lists as SafetyLists;
    else lists = readSafetyLists();
    try {
      state = { clf, matcher: new SafetyMatcher(lists) };
    } catch (e) {
      throw new Error(`${o.name}: ${(e as Error).message}${clf && !o.lists ? ` (lists stored in ${String(o.model)})` : ''}`);
    }
    return state;
  };
  return {
    name: o.name,
    kind: 'scorer',
    async init() {
      ready();
    },
    process(doc): StageResult {
      const { clf, matcher } = ready();
      const { hits, tokens } = matcher.match(doc.text);
      let worst: string | undefined;
      for (const [cat, n] of Object.entries(hits)) {
        if (n >= o.minHits && n >= o.minDensity * tokens && (worst === undefined || n > hits[worst]!)) worst = cat;
      }
      if (worst) return { keep: false, reason: `unsafe_${worst}` };
      const p = clf?.probability(doc.text);
      if (p !== undefined && p >= o.threshold) return { keep: false, reason: 'unsafe_classifier' };
      const metadata: Record<string, unknown> = { ...doc.metadata };
      if (p !== undefined) metadata.safety_score = Math.round(p * 1e4) / 1e4;
      if (Object.keys(hits).length) metadata.safety_hits = hits;
      return { keep: true, doc: { ...doc, metadata } };
    },
  };
}

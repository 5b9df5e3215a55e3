// The safety scorer (Yi: violence, pornography, gambling, propaganda): word lists per category
// plus a hashed n-gram classifier of unsafe (label 'unsafe') against safe ('safe') text. A
// document is dropped with reason `unsafe_<category>` when a category's terms occur often enough
// (count and density), else with `unsafe_classifier` when p(unsafe) >= threshold. The model file
// stores the lists it was trained with, so a trained file is all a pipeline needs.
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

export function safetyStage(options: Partial<SafetyStageOptions> = {}): DocStage {
  const o: SafetyStageOptions = { name: 'safety', threshold: 0.5, minHits: 3, minDensity: 0.005, ...options };
  if (!(o.threshold >= 0 && o.threshold <= 1)) throw new Error(`${o.name}: option 'threshold' must be in [0, 1] (got ${o.threshold})`);
  if (!(Number.isInteger(o.minHits) && o.minHits >= 1)) throw new Error(`${o.name}: option 'minHits' must be a positive integer (got ${o.minHits})`);
  if (!(o.minDensity >= 0 && o.minDensity <= 1)) throw new Error(`${o.name}: option 'minDensity' must be in [0, 1] (got ${o.minDensity})`);
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

// The Yi recipe end to end at laptop scale: raw corpora -> learned scorers -> the cleaning cascade ->
// a bilingual BPE tokenizer -> token shards -> pretraining a scaled-down Yi -> samples -> one report.
// Each stage records itself as done in recipe.json; --resume skips finished stages and continues an
// interrupted pretraining from its last checkpoint. The whole run keeps a wall-clock budget: the
// pretraining gets what the stages before it leave, and trains by the clock (train/budget.ts).
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeJsonAtomic } from '../formats/atomic.js';
import { readDocuments } from '../data/documents.js';
import { DEFAULT_PIPELINE } from '../data/pipelines/default.js';
import { runPipeline, type PipelineProgress } from '../data/pipeline/run.js';
import type { PipelineSpec } from '../data/pipeline/spec.js';
import { defaultScorerOptions, trainDefaultScorers, type DefaultScorerFiles } from '../data/scorers/defaults.js';
import { writeDocumentsJsonl } from '../data/corpora/index.js';
import { preset, type YiConfig } from '../model/config.js';
import { generate } from '../model/generate.js';
import { loadModel } from '../model/load.js';
import { YiTrainable } from '../model/trainable.js';
import { AdamW, PRETRAIN_ADAMW } from '../train/optimizer.js';
import type { Runtime } from '../runtime/runtime.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { trainTokenizer } from '../tokenizer/train.js';
import { writeTokenizerFiles } from '../tokenizer/train-files.js';
import type { BudgetSummary } from '../train/budget.js';
import { pretrain, type TrainEvent } from '../train/pretrain.js';
import { exportChatFacts } from '../data/corpora/chat-facts/index.js';
import { sft, type GenerationSummary, type SftEvent } from '../sft/sft.js';
import { openTokenDataset } from '../train/shards.js';
import { tokenizeCorpus } from '../train/tokenize.js';
import { countBySource, rawCorpus } from './corpus.js';
import { recipeBudget, secs, type RecipeBudget } from './budget.js';
import { writeRecipeReport } from './report.js';
import { SCALES, type RecipeScale, type ScaleName } from './scales.js';

export class RecipeError extends Error {
  override name = 'RecipeError';
}

export const RECIPE_STAGES = ['corpus', 'scorers', 'clean', 'tokenizer', 'tokens', 'pretrain', 'sft', 'samples'] as const;
export type RecipeStage = (typeof RECIPE_STAGES)[number];

export interface RecipeOptions {
  /** Output folder (default ./runs/<timestamp>, chosen by the CLI). */
  out: string;
  scale?: ScaleName;
  /** Wall-clock budget for the whole recipe in minutes; pretraining gets what the other stages leave. */
  minutes?: number;
  /**
   * Train exactly this many steps (WSD over the steps) instead of for the time the budget leaves: the
   * same run on any machine, for tests and comparisons. Decided when pretraining starts; a resume keeps it.
   */
  steps?: number;
  /** The user's own raw corpus (files or folders: JSONL, Parquet, text) instead of the bundled one. */
  data?: string[];
  /** Worker threads for the pipeline, tokenizer and training (default: all cores). */
  threads?: number;
  seed?: number;
  /** Continue an interrupted recipe in `out`: finished stages are skipped, pretraining resumes. */
  resume?: boolean;
  /** Share of the time after the data stages that chat finetuning gets instead of pretraining (default: the scale's; 0: no finetuning). */
  sftShare?: number;
  /** How the user runs yi (`npx yi`, `yi`, `node dist/src/cli/yi.js`), for the commands the report suggests. Default `npx yi`. */
  command?: string;
  onEvent?: (e: RecipeEvent) => void;
}

export type RecipeEvent =
  | { type: 'stage'; stage: RecipeStage; status: 'start' | 'skip' | 'done'; seconds?: number; detail?: string }
  | { type: 'pipeline'; progress: PipelineProgress }
  | { type: 'train'; event: TrainEvent }
  | { type: 'sft'; event: SftEvent }
  | { type: 'log'; line: string };

export interface Sample {
  prompt: string;
  text: string;
}

/** recipe.json: what ran, with which settings, and what it produced. */
export interface RecipeState {
  format: 'yi-ts-recipe';
  version: 1;
  settings: { scale: ScaleName; minutes: number; data: string[] | null; seed: number; threads: number };
  /** Seconds per finished stage. */
  done: Partial<Record<RecipeStage, number>>;
  corpus?: { documents: number; bySource: Record<string, number>; bytes: number };
  scorers?: { files: DefaultScorerFiles; stats: Record<string, unknown> };
  tokenizer?: { vocabSize: number; merges: number; characters: number; sentences: number; seconds: number; tokensPerByte?: number };
  tokens?: { train: number; val: number; documents: number };
  pretrain?: PretrainPlan;
  sft?: SftPlan;
  /** Whether the run kept its budget, and why not (written at the end). */
  budget?: RecipeBudget;
  samples?: Sample[];
  startedAt: string;
}

/** How pretraining was planned (decided once, before its first step; a resume follows it) and how it went. */
export interface PretrainPlan {
  /** 'time': the steps follow the clock within budgetSeconds; 'steps': a fixed count. Absent in runs from before time budgets (fixed, cosine). */
  mode?: 'time' | 'steps';
  /** Seconds of pretraining (its evaluations and checkpoints included). */
  budgetSeconds?: number;
  /** Steps the throughput probe predicted for the budget. */
  estimatedSteps?: number;
  /** The fixed step count, or (time) the estimate until the steps trained are known. */
  steps: number;
  warmupSteps?: number;
  minSteps?: number;
  maxSteps?: number;
  /** Validation tokens per evaluation: the scale's, fewer when one evaluation would take over 3% of the budget. */
  evalTokens?: number;
  batchTokens: number;
  seqLen: number;
  lr: number;
  model: YiConfig;
  probeTokensPerSecond: number;
  /** Why pretraining got less time than its minimum needs (then the whole run goes over budget). */
  shortOf?: string;
  finalLoss?: number;
  valLoss?: number;
  tokensPerSecond?: number;
  /** A time-budgeted run: when the decay started, and whether it kept its budget. */
  budget?: BudgetSummary;
}

/** How chat finetuning was planned (once, when its stage starts) and how it went. */
export interface SftPlan {
  /** The share of the time after the data stages it was given (0: it did not run). */
  share: number;
  /** Seconds it was planned for (a time-budgeted recipe). */
  budgetSeconds?: number;
  steps: number;
  seqLen: number;
  batch: number;
  lr: number;
  trainConversations?: number;
  heldoutConversations?: number;
  finalLoss?: number;
  heldoutLoss?: number;
  before?: GenerationSummary;
  after?: GenerationSummary;
  tokensPerSecond?: number;
}

export interface RecipeResult {
  out: string;
  modelDir: string;
  /** The chat-finetuned model (sft/model), when finetuning ran. */
  chatModelDir?: string;
  report: { html: string; markdown: string };
  state: RecipeState;
}

/** Folders and files of a recipe run, all under `out`. */
export function recipePaths(out: string) {
  return {
    state: join(out, 'recipe.json'),
    raw: join(out, 'raw'),
    scorers: join(out, 'scorers'),
    clean: join(out, 'clean'),
    tokenizer: join(out, 'tokenizer'),
    tokens: join(out, 'tokens'),
    train: join(out, 'train'),
    model: join(out, 'train', 'model'),
    chatData: join(out, 'chat', 'chat-facts.jsonl'),
    sft: join(out, 'sft'),
    chatModel: join(out, 'sft', 'model'),
  };
}

export async function runRecipe(rt: Runtime, o: RecipeOptions): Promise<RecipeResult> {
  const out = resolve(o.out);
  const P = recipePaths(out);
  const scaleName = o.scale ?? 'small';
  const scale: RecipeScale | undefined = SCALES[scaleName];
  if (!scale) throw new RecipeError(`unknown scale '${scaleName}' (known: ${Object.keys(SCALES).join(', ')})`);
  if (o.minutes !== undefined && !(o.minutes > 0)) throw new RecipeError(`minutes must be > 0, got ${o.minutes}`);
  if (o.steps !== undefined && !(Number.isInteger(o.steps) && o.steps > 0)) throw new RecipeError(`steps must be a whole number > 0, got ${o.steps}`);
  const sftShare = o.sftShare ?? scale.sft.share;
  if (!(sftShare >= 0 && sftShare < 1)) throw new RecipeError(`sftShare must be in [0, 1), got ${o.sftShare}`);
  const settings: RecipeState['settings'] = { scale: scaleName, minutes: o.minutes ?? scale.minutes, data: o.data ? o.data.map((p) => resolve(p)) : null, seed: o.seed ?? 1, threads: rt.threads };
  const emit = (e: RecipeEvent) => o.onEvent?.(e);

  let state: RecipeState;
  if (existsSync(P.state)) {
    if (!o.resume) throw new RecipeError(`${out} already holds a recipe run (recipe.json); pass --resume to continue it or choose another --out`);
    state = JSON.parse(readFileSync(P.state, 'utf8')) as RecipeState;
    const changed = (Object.keys(settings) as (keyof typeof settings)[]).filter((k) => k !== 'minutes' && JSON.stringify(state.settings[k]) !== JSON.stringify(settings[k]));
    if (changed.length > 0) throw new RecipeError(`${P.state}: cannot resume with different ${changed.join(', ')} (the run used ${changed.map((k) => `${k}=${JSON.stringify(state.settings[k])}`).join(', ')})`);
    // A new budget given on resume replaces the old one; without one the run keeps its own.
    if (o.minutes !== undefined) state.settings.minutes = o.minutes;
  } else {
    mkdirSync(out, { recursive: true });
    state = { format: 'yi-ts-recipe', version: 1, settings, done: {}, startedAt: new Date().toISOString() };
  }
  const save = () => writeJsonAtomic(P.state, state);
  save();

  // A stage's seconds are this process's, plus what an interrupted earlier run of it spent (`earlierSeconds`).
  const stage = async (name: RecipeStage, run: () => Promise<string | void | { detail: string; earlierSeconds: number }>) => {
    if (state.done[name] !== undefined) {
      emit({ type: 'stage', stage: name, status: 'skip' });
      return;
    }
    emit({ type: 'stage', stage: name, status: 'start' });
    const s0 = performance.now();
    const r = await run();
    const detail = typeof r === 'object' ? r.detail : r;
    state.done[name] = (performance.now() - s0) / 1000 + (typeof r === 'object' ? r.earlierSeconds : 0);
    save();
    emit({ type: 'stage', stage: name, status: 'done', seconds: state.done[name], detail: detail ?? undefined });
  };
  const rawFiles = () => (settings.data ? settings.data : [P.raw]);

  // 1. The raw corpus: bundled sources plus the junk a crawl brings, or the user's files.
  await stage('corpus', async () => {
    if (settings.data) {
      let documents = 0;
      let bytes = 0;
      for await (const t of readDocuments(settings.data)) {
        documents++;
        bytes += Buffer.byteLength(t);
      }
      state.corpus = { documents, bySource: { user: documents }, bytes };
      return `${documents} documents of the user's corpus`;
    }
    const docs = rawCorpus({ englishDocuments: scale.englishDocuments, junkPerDocument: scale.junkPerDocument, seed: settings.seed });
    // Several files: the cleaning pipeline runs one task per file, on several cores.
    rmSync(P.raw, { recursive: true, force: true });
    mkdirSync(P.raw, { recursive: true });
    const parts = 4; // fixed, so the corpus (and all that follows) does not depend on the thread count
    let bytes = 0;
    for (let k = 0; k < parts; k++) {
      bytes += (await writeDocumentsJsonl(join(P.raw, `corpus-${String(k).padStart(3, '0')}.jsonl`), docs.filter((_, i) => i % parts === k))).bytes;
    }
    state.corpus = { documents: docs.length, bySource: countBySource(docs), bytes };
    return `${docs.length} documents, ${(bytes / 1e6).toFixed(1)} MB: ${Object.entries(state.corpus.bySource).map(([k, v]) => `${v} ${k}`).join(', ')}`;
  });

  // 2. The learned scorers of the cascade, trained on the bundled reference text (and generated junk).
  await stage('scorers', async () => {
    const r = await trainDefaultScorers(P.scorers, { englishDocuments: scale.referenceDocuments, seed: settings.seed });
    state.scorers = { files: r.files, stats: r.stats };
    return `perplexity (5-gram KN, English and Chinese), quality, coherence and safety models on ${r.english} English and ${r.chinese} Chinese reference documents`;
  });

  // 3. The cleaning cascade in the order of Yi's Figure 1.
  await stage('clean', async () => {
    const r = await runPipeline({
      pipeline: recipePipeline(state, scale),
      input: rawFiles(),
      out: P.clean,
      workers: rt.threads,
      onProgress: (progress) => emit({ type: 'pipeline', progress }),
    });
    const d = r.stats!.documents;
    return `${d.read} documents in, ${d.written} kept (${((100 * d.written) / Math.max(1, d.read)).toFixed(1)}%)`;
  });

  // 4. A bilingual BPE tokenizer with Yi's settings on the cleaned text.
  await stage('tokenizer', async () => {
    const cleaned = join(P.clean, 'data');
    const { proto, stats } = await trainTokenizer(readDocuments([cleaned], { textUnit: 'line' }), { vocabSize: scale.vocabSize, seed: settings.seed });
    rmSync(P.tokenizer, { recursive: true, force: true });
    writeTokenizerFiles(P.tokenizer, proto);
    state.tokenizer = { vocabSize: proto.pieces.length, merges: stats.merges, characters: stats.requiredChars, sentences: stats.sentences, seconds: stats.seconds };
    return `${proto.pieces.length} pieces, ${stats.merges} merges, ${stats.requiredChars} characters`;
  });

  // 5. Token shards with a validation split.
  await stage('tokens', async () => {
    const r = await tokenizeCorpus({ tokenizer: P.tokenizer, inputs: [join(P.clean, 'data')], out: P.tokens, valFraction: scale.valFraction, threads: rt.threads, resume: existsSync(P.tokens) });
    const m = r.meta;
    const chars = r.progress.bytes;
    state.tokens = { train: m.splits.train.tokens, val: m.splits.val.tokens, documents: m.totals.documents };
    if (state.tokenizer && chars > 0) state.tokenizer.tokensPerByte = m.totals.tokens / chars;
    return `${m.splits.train.tokens} training tokens, ${m.splits.val.tokens} validation tokens`;
  });

  // 6. Pretraining: for the time the stages before it leave (or a fixed step count), planned once and
  // recorded; the steps then follow the clock (train/budget.ts).
  await stage('pretrain', async () => {
    const s0 = performance.now();
    const ds = openTokenDataset(P.tokens);
    const model: YiConfig = { ...preset(scale.model), ...scale.modelOverrides, vocabSize: ds.meta.vocabSize };
    ds.close();
    if (!state.pretrain) {
      state.pretrain = planPretraining(state, scale, model, probeTokensPerSecond(rt, model, scale.seqLen, scale.batchTokens), (performance.now() - s0) / 1000, o.steps, sftShare);
      save();
      if (state.pretrain.shortOf) emit({ type: 'log', line: `over budget: ${state.pretrain.shortOf}` });
    }
    const p = state.pretrain;
    const length = p.mode === 'time'
      ? { timeBudget: { seconds: p.budgetSeconds!, minSteps: p.minSteps, maxSteps: p.maxSteps, stepSeconds: p.batchTokens / p.probeTokensPerSecond }, schedule: 'wsd' as const, warmupSteps: p.warmupSteps }
      : {
          steps: p.steps,
          // Runs from before time budgets continue with the schedule they started with.
          schedule: p.mode === 'steps' ? ('wsd' as const) : ('cosine' as const),
          warmupSteps: p.warmupSteps ?? Math.max(1, Math.floor(p.steps * 0.05)),
          evalInterval: Math.max(1, Math.floor(p.steps / 10)),
          checkpointInterval: Math.max(1, Math.floor(p.steps / 10)),
        };
    const r = await pretrain(rt, {
      model: p.model,
      data: P.tokens,
      out: P.train,
      seqLen: p.seqLen,
      batchTokens: p.batchTokens,
      lr: p.lr,
      evalTokens: p.evalTokens ?? scale.evalTokens,
      ...length,
      seed: settings.seed,
      resume: existsSync(join(P.train, 'log.jsonl')),
      onEvent: (event) => emit({ type: 'train', event }),
    });
    Object.assign(p, { steps: r.steps, finalLoss: r.finalLoss, valLoss: r.valLoss, tokensPerSecond: r.tokensPerSecond, budget: r.budget });
    const decay = r.budget?.decayStart !== undefined ? `, decay from step ${r.budget.decayStart + 1} at ${secs(r.budget.decayStartSeconds!)}` : '';
    const time = r.budget ? ` in ${secs(r.budget.elapsedSeconds)} of ${secs(r.budget.seconds)}${decay}` : '';
    // Training time before a kill (up to its last heartbeat) counts against the recipe's budget too.
    return { detail: `${r.steps} steps, ${r.tokens} tokens${time}, train loss ${r.finalLoss.toFixed(3)}, validation loss ${r.valLoss?.toFixed(3) ?? '-'}`, earlierSeconds: r.resumedSeconds };
  });

  // 7. Chat finetuning (yi sft) of the pretrained model on the chat-facts set: what the time left
  // after pretraining holds (the share pretraining left it), or the scale's fixed steps with --steps.
  await stage('sft', async () => {
    if (!state.sft) {
      if (sftShare === 0) {
        state.sft = { share: 0, steps: 0, seqLen: scale.sft.seqLen, batch: scale.sft.batch, lr: scale.sft.lr };
        save();
        return 'not run (a time share of 0)';
      }
      mkdirSync(join(out, 'chat'), { recursive: true });
      const data = await exportChatFacts(P.chatData, { seed: settings.seed, trainSamples: scale.sft.trainSamples });
      state.sft = { share: sftShare, ...planSft(state, scale, o.steps !== undefined), trainConversations: data.train, heldoutConversations: data.heldout };
      save();
    }
    const plan = state.sft;
    if (plan.share === 0) return 'not run (a time share of 0)';
    const every = Math.max(1, Math.floor(plan.steps / 5));
    const r = await sft(rt, {
      model: P.model,
      data: [P.chatData],
      out: P.sft,
      seqLen: plan.seqLen,
      batch: plan.batch,
      steps: plan.steps,
      lr: plan.lr,
      evalInterval: every,
      checkpointInterval: every,
      evalGenerations: scale.sft.evalGenerations,
      evalMaxTokens: 32,
      // The time plan counts the zero-shot evaluations only; `yi sft` alone adds the base's few-shot score.
      baseShots: 0,
      seed: settings.seed,
      resume: existsSync(join(P.sft, 'log.jsonl')),
      onEvent: (event) => emit({ type: 'sft', event }),
    });
    Object.assign(plan, { trainConversations: r.trainSamples, heldoutConversations: r.heldoutSamples, finalLoss: r.finalLoss, heldoutLoss: r.heldoutLoss, before: r.before, after: r.after, tokensPerSecond: r.tokensPerSecond });
    const pct = (x?: number) => (x === undefined ? '-' : `${(100 * x).toFixed(0)}%`);
    return `${r.steps} steps on ${r.trainSamples} conversations, held-out answer loss ${r.heldoutLoss?.toFixed(3) ?? '-'}, exact match ${pct(r.before?.accuracy)} -> ${pct(r.after?.accuracy)}, answers ending with <|im_end|> ${pct(r.before?.imEndShare)} -> ${pct(r.after?.imEndShare)}`;
  });

  // 8. What the model says.
  await stage('samples', async () => {
    const model = loadModel(rt, P.model, { dtype: 'f32', contextLength: 256, batch: 32 });
    const tok = Tokenizer.load(P.model);
    state.samples = [];
    try {
      for (const prompt of scale.prompts) {
        model.reset();
        const g = generate(model, tok, prompt, { maxTokens: scale.sampleTokens, temperature: 0.8, topK: 40, seed: settings.seed });
        state.samples.push({ prompt, text: g.text });
      }
    } finally {
      model.dispose();
    }
  });

  state.budget = recipeBudget(state, scale);
  save();
  const report = await writeRecipeReport(out, state, { command: o.command });
  return { out, modelDir: P.model, chatModelDir: state.sft && state.sft.share > 0 && existsSync(P.chatModel) ? P.chatModel : undefined, report, state };
}

/**
 * The finetuning plan: the scale's fixed steps (a fixed-step recipe), or as many steps as the time left
 * holds (the budget less what the stages so far took and the samples' reserve, at least the scale's
 * minimum) at pretraining's measured speed, less a fifth for the held-out evaluations.
 */
export function planSft(state: RecipeState, scale: RecipeScale, fixedSteps: boolean): Omit<SftPlan, 'share'> {
  const s = scale.sft;
  const shape = { seqLen: s.seqLen, batch: s.batch, lr: s.lr };
  if (fixedSteps) return { steps: s.steps, ...shape };
  const spent = Object.values(state.done).reduce((a, x) => a + x, 0);
  const budgetSeconds = Math.max(0, state.settings.minutes * 60 - spent - scale.reserveSeconds);
  const tps = state.pretrain?.tokensPerSecond ?? state.pretrain?.probeTokensPerSecond ?? 1000;
  // Packed rows are most of a sequence long; the evaluations take about a fifth.
  const steps = Math.floor((0.8 * budgetSeconds * tps) / (0.9 * s.batch * s.seqLen));
  return { budgetSeconds, steps: Math.max(s.minSteps, Math.min(s.maxSteps, steps)), ...shape };
}

/**
 * The pretraining plan: the time the budget leaves after the stages so far (`stageSeconds` of this
 * stage included) and the samples' reserve, at least scale.minTrainSeconds; the probe's step time
 * sizes the warmup (5% of the steps it predicts) and the validation set. `steps` instead fixes the
 * step count.
 */
export function planPretraining(state: RecipeState, scale: RecipeScale, model: YiConfig, probeTokensPerSecond: number, stageSeconds: number, steps?: number, sftShare = 0): PretrainPlan {
  const common = { batchTokens: scale.batchTokens, seqLen: scale.seqLen, lr: scale.lr, model, probeTokensPerSecond };
  if (steps !== undefined) return { mode: 'steps', steps, warmupSteps: Math.max(1, Math.floor(steps * 0.05)), ...common };
  const budget = state.settings.minutes * 60;
  const spent = Object.values(state.done).reduce((s, x) => s + x, 0) + stageSeconds;
  const left = budget - spent - scale.reserveSeconds;
  // Chat finetuning comes after pretraining and takes its share of what is left.
  const budgetSeconds = Math.max(scale.minTrainSeconds, left - sftShare * Math.max(0, left));
  const shortOf = left < scale.minTrainSeconds
    ? `the ${secs(budget)} budget leaves ${secs(Math.max(0, left))} for pretraining after ${secs(spent)} of earlier stages and ${secs(scale.reserveSeconds)} kept for the samples; it trains for its minimum of ${secs(scale.minTrainSeconds)}`
    : undefined;
  const estimatedSteps = Math.max(scale.minSteps, Math.min(scale.maxSteps, Math.floor((budgetSeconds * probeTokensPerSecond) / scale.batchTokens)));
  // An evaluation (forward only: about three times a training step's tokens per second) of at most 3%
  // of the budget, whole sequences, at least eight of them.
  const affordable = Math.floor((0.03 * budgetSeconds * 3 * probeTokensPerSecond) / scale.seqLen) * scale.seqLen;
  const evalTokens = Math.min(scale.evalTokens, Math.max(8 * scale.seqLen, affordable));
  return { mode: 'time', budgetSeconds, estimatedSteps, steps: estimatedSteps, warmupSteps: Math.max(1, Math.floor(estimatedSteps * 0.05)), minSteps: scale.minSteps, maxSteps: scale.maxSteps, evalTokens, shortOf, ...common };
}

/** The default cascade with the recipe's scorer models and scale-dependent cluster count. */
export function recipePipeline(state: RecipeState, scale: RecipeScale): PipelineSpec {
  if (!state.scorers) throw new RecipeError('the scorers stage has not run');
  const options: Record<string, Record<string, unknown>> = { ...defaultScorerOptions(state.scorers.files), cluster_filter: { k: scale.clusters } };
  return { stages: DEFAULT_PIPELINE.stages.map((st) => (options[st.type] ? { ...st, options: { ...st.options, ...options[st.type] } } : st)) };
}

/**
 * Tokens per second of whole optimizer steps (forward, backward, AdamW) of `model` on random tokens,
 * discounted a little for what a run adds: only a first estimate (the warmup's length, the first
 * plan); the budget planner then measures the real steps.
 */
function probeTokensPerSecond(rt: Runtime, model: YiConfig, seqLen: number, batchTokens: number): number {
  const m = YiTrainable.create(rt, model, { kind: 'random', seed: 1 }, { maxSeqLen: seqLen });
  const opt = new AdamW(m.params, PRETRAIN_ADAMW);
  try {
    const B = Math.max(1, Math.round(Math.min(batchTokens, 8192) / seqLen));
    const ids = Array.from({ length: B * seqLen }, (_, i) => (i * 7919) % model.vocabSize);
    const step = () => {
      m.zeroGrad();
      m.lossAndGrad(ids, ids, B, seqLen);
      opt.update(1e-4, 1);
    };
    step(); // warm-up
    const s0 = performance.now();
    step();
    step();
    return (0.9 * 2 * B * seqLen) / ((performance.now() - s0) / 1000);
  } finally {
    opt.dispose();
    m.dispose();
  }
}

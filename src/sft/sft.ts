// Chat finetuning (the second half of the Yi recipe, YI-SPEC section 5): a base model, conversations
// rendered with its chat template and packed, the loss on assistant answers only (normalised by the
// trained tokens of the whole step), NEFTune noise on the input embeddings, AdamW with the paper's
// settings at a constant rate, resumable checkpoints (exact after a kill), held-out evaluation before,
// during and after training, and the finetuned model as a chat-ready Hugging Face folder.
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeJsonAtomic, writeTextAtomic } from '../formats/atomic.js';
import { validateLoraOptions, type LoraOptions } from '../model/lora.js';
import { checkTrainingMemory, parameterCount } from '../model/memory.js';
import { openWeights } from '../model/source.js';
import { YiTrainable, type BaseType } from '../model/trainable.js';
import type { Runtime } from '../runtime/runtime.js';
import { latestCheckpoint, loadCheckpoint, publishModelFolder, saveCheckpoint, TRAINER_STATE_FORMAT, TRAINER_STATE_VERSION, type TrainerState } from '../train/checkpoint.js';
import { AdamW, SFT_ADAMW, type AdamWOptions } from '../train/optimizer.js';
import { removeStaleWrites } from '../train/run-folder.js';
import { learningRate } from '../train/schedule.js';
import { openBaseModel, type BaseModel } from './base-model.js';
import { mergeLoraAdapter } from './merge.js';
import { ADAPTER_WEIGHTS, saveLoraAdapter, writeLoraAdapterFiles } from './peft.js';
import type { RejectCounter } from './conversation.js';
import type { SftBatch } from './pack.js';
import { DataOrder, type DataOrderState } from './data-order.js';
import { dataFingerprint, heldoutBatches, loadSftData, type SftData } from './dataset.js';
import { SftError } from './errors.js';
import { generationEval, heldoutLoss, type GenerationEval } from './evaluate.js';
import { FEW_SHOT_FORMATS, type FewShotFormat } from './few-shot.js';
import { writeSftReport } from './report.js';

export interface SftOptions {
  /** The base model: a Hugging Face folder or a .gguf file. */
  model: string;
  /** Conversation files (JSONL in OpenAI `messages` or ShareGPT `conversations` form, .gz/.zst, Parquet). */
  data: string[];
  /** Output folder: checkpoints/, model/, log.jsonl, eval/, report.{md,html}. */
  out: string;
  /** The tokenizer, when not the model's own. */
  tokenizer?: string;
  /** Held-out conversations; default: the rows of `data` marked "split": "heldout" (never trained on). */
  evalData?: string[];
  /** Refuse the first bad sample instead of counting and skipping it. */
  strict?: boolean;
  /** Tokens per training sequence (default 512, at most the model's positions; the paper used 4096). */
  seqLen?: number;
  /** Sequences per optimizer step (default 64, the paper's). */
  batch?: number;
  /** Sequences per forward/backward pass; batch / microBatch passes are accumulated (default: 8192 tokens' worth). */
  microBatch?: number;
  /** Passes over the training set (default 3); or give steps. */
  epochs?: number;
  /** Optimizer steps (the data order runs on through as many epochs as it takes). */
  steps?: number;
  /** Learning rate, constant after the warmup (default 1e-5). */
  lr?: number;
  /** Linear warmup steps (default 0). */
  warmupSteps?: number;
  /** Global gradient-norm clip (default 1.0; 0 disables). */
  clip?: number;
  /** AdamW (default beta1 0.9, beta2 0.999, eps 1e-8, weight decay 0.1). */
  adamw?: Partial<AdamWOptions>;
  /** NEFTune noise alpha (default 5, the paper's for 6B; 0 disables). */
  neftuneAlpha?: number;
  /** Pack several conversations per sequence (default true). */
  packing?: boolean;
  /** Seeds the data order and the NEFTune noise (default 1). */
  seed?: number;
  /** Recompute block activations in backward (less memory). */
  recompute?: boolean;
  /** Train LoRA adapters on a frozen base instead of every weight (full finetuning, the default). */
  lora?: LoraOptions;
  /** With lora: the frozen base's projections held as f32 (default), or q8_0 / q4_0 (QLoRA-style memory savings). */
  loraBase?: BaseType;
  /** With lora: also write the base with the adapter merged in as out/model (default true; needs a Hugging Face folder base). */
  merge?: boolean;
  /** Held-out answer loss every N steps (default 50; 0: before and after training only). */
  evalInterval?: number;
  /** Greedy answers to held-out prompts before and after training (default true). */
  generationEval?: boolean;
  /** Held-out prompts answered at each generation evaluation (default 200). */
  evalGenerations?: number;
  /** Most tokens per held-out answer (default 64). */
  evalMaxTokens?: number;
  /**
   * Before training, also score the base model few-shot on the same held-out prompts: this many solved
   * training conversations of the same task before each question (default 5; 0: not run).
   */
  baseShots?: number;
  /** How the shots are shown: plain Q:/A: text (default, as lm-eval-harness prompts base models) or ChatML turns. */
  baseShotsFormat?: FewShotFormat;
  /** Checkpoint every N steps (default 100) and at the end. */
  checkpointInterval?: number;
  /** Checkpoints kept (default 2). */
  keepCheckpoints?: number;
  /** Continue from the newest checkpoint in out/checkpoints (bit-identical to an uninterrupted run). */
  resume?: boolean;
  /** Checkpoint and stop once this many seconds of training have passed in this process. */
  maxSeconds?: number;
  /** Checkpoint and stop after this optimizer step (as a kill would, but at a known place). */
  stopAfterStep?: number;
  /** Report title and the settings it prints (default: these options). */
  report?: { title?: string; settings?: Record<string, unknown> };
  /** Time source in seconds (default performance.now() / 1000). */
  clock?: () => number;
  onEvent?: (e: SftEvent) => void;
}

export type SftEvent =
  | { type: 'data'; trainSamples: number; heldoutSamples: number; trainedTokens: number; tokens: number; rejects: RejectCounter; heldoutRejects: RejectCounter }
  | { type: 'start'; step: number; steps: number; parameters: number; trainableParameters: number; batchRows: number; microBatches: number; resumedFrom?: string }
  | { type: 'train'; step: number; steps: number; epoch: number; tokens: number; trainedTokens: number; loss: number; lr: number; gradNorm: number; tokensPerSecond: number; elapsedSeconds: number }
  | { type: 'val'; step: number; heldoutLoss: number }
  | { type: 'generating'; when: GenerationWhen; done: number; total: number }
  | { type: 'generation'; when: GenerationWhen; step: number; result: GenerationSummary }
  | { type: 'checkpoint'; step: number; path: string }
  | { type: 'cleanup'; notes: string[] };

/** Which generation evaluation: the base zero-shot (before), the base few-shot, the finetuned model (after). */
export type GenerationWhen = 'before' | 'base-few-shot' | 'after';

/** A generation evaluation without its samples (those are in out/eval/<when>.jsonl). */
export type GenerationSummary = Omit<GenerationEval, 'samples'>;

export interface SftResult {
  steps: number;
  /** Non-padding tokens trained on (inputs). */
  tokens: number;
  /** Tokens the loss was computed on (assistant answers and their <|im_end|>). */
  trainedTokens: number;
  finalLoss: number;
  /** The last held-out answer loss. */
  heldoutLoss?: number;
  /** The base model, zero-shot (the held-out conversation in the chat template). */
  before?: GenerationSummary;
  /** The base model, few-shot on the same held-out questions (baseShots solved training examples first). */
  baseFewShot?: GenerationSummary;
  after?: GenerationSummary;
  trainSamples: number;
  heldoutSamples: number;
  /** The reject summary of the training files. */
  rejects: string;
  tokensPerSecond: number;
  /** The finetuned Hugging Face folder (out/model); with LoRA and merge false, not written. */
  modelDir?: string;
  /** With LoRA: the PEFT adapter folder (out/adapter). */
  adapterDir?: string;
  logPath: string;
  /** report.md and report.html (undefined when stopped early). */
  report?: { markdown: string; html: string };
  /** True when maxSeconds or stopAfterStep stopped the run before its last step (resume continues it). */
  stoppedEarly: boolean;
}

/** The paper's finetuning defaults (YI-SPEC section 5) where they fit a laptop; each an option. */
export const SFT_DEFAULTS = { seqLen: 512, batch: 64, epochs: 3, lr: 1e-5, warmupSteps: 0, clip: 1.0, neftuneAlpha: 5, seed: 1, evalInterval: 50, checkpointInterval: 100, evalGenerations: 200, evalMaxTokens: 64, baseShots: 5, baseShotsFormat: 'text' as FewShotFormat };

export async function sft(rt: Runtime, opts: SftOptions): Promise<SftResult> {
  const base = openBaseModel(opts.model, opts.tokenizer);
  const cfg = base.config;
  const intOpt = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new SftError(`${name} must be an integer >= ${min}, got ${v}`);
    return v;
  };
  const numOpt = (name: string, v: number, min: number) => {
    if (!Number.isFinite(v) || v < min) throw new SftError(`${name} must be a number >= ${min}, got ${v}`);
    return v;
  };
  if (opts.data.length === 0) throw new SftError('give at least one data file');
  const seqLen = intOpt('seqLen', opts.seqLen ?? Math.min(SFT_DEFAULTS.seqLen, cfg.maxPositions), 2);
  if (seqLen > cfg.maxPositions) throw new SftError(`seqLen ${seqLen} exceeds the model's max positions ${cfg.maxPositions} (${opts.model})`);
  const batch = intOpt('batch', opts.batch ?? SFT_DEFAULTS.batch, 1);
  const microBatch = intOpt('microBatch', opts.microBatch ?? Math.min(batch, Math.max(1, Math.floor(8192 / seqLen))), 1);
  if (microBatch > batch || batch % microBatch !== 0) throw new SftError(`batch (${batch} sequences) must be a multiple of microBatch (${microBatch} sequences) so that every step accumulates whole micro-batches`);
  const accum = batch / microBatch;
  if (opts.steps !== undefined && opts.epochs !== undefined) throw new SftError('give steps or epochs, not both');
  const steps0 = opts.steps !== undefined ? intOpt('steps', opts.steps, 1) : undefined;
  const epochs = steps0 === undefined ? intOpt('epochs', opts.epochs ?? SFT_DEFAULTS.epochs, 1) : undefined;
  const lr = numOpt('lr', opts.lr ?? SFT_DEFAULTS.lr, 0);
  const warmupSteps = intOpt('warmupSteps', opts.warmupSteps ?? SFT_DEFAULTS.warmupSteps, 0);
  const clip = numOpt('clip', opts.clip ?? SFT_DEFAULTS.clip, 0);
  const adamwOpts = { ...SFT_ADAMW, ...opts.adamw };
  const neftuneAlpha = numOpt('neftuneAlpha', opts.neftuneAlpha ?? SFT_DEFAULTS.neftuneAlpha, 0);
  const packing = opts.packing ?? true;
  const seed = intOpt('seed', opts.seed ?? SFT_DEFAULTS.seed, 0);
  const evalInterval = intOpt('evalInterval', opts.evalInterval ?? SFT_DEFAULTS.evalInterval, 0);
  const checkpointInterval = intOpt('checkpointInterval', opts.checkpointInterval ?? SFT_DEFAULTS.checkpointInterval, 1);
  const evalGenerations = intOpt('evalGenerations', opts.evalGenerations ?? SFT_DEFAULTS.evalGenerations, 0);
  const evalMaxTokens = intOpt('evalMaxTokens', opts.evalMaxTokens ?? SFT_DEFAULTS.evalMaxTokens, 1);
  const baseShots = intOpt('baseShots', opts.baseShots ?? SFT_DEFAULTS.baseShots, 0);
  const baseShotsFormat = opts.baseShotsFormat ?? SFT_DEFAULTS.baseShotsFormat;
  if (!FEW_SHOT_FORMATS.includes(baseShotsFormat)) throw new SftError(`baseShotsFormat must be ${FEW_SHOT_FORMATS.join(' or ')}, got '${String(baseShotsFormat)}'`);
  if (opts.stopAfterStep !== undefined) intOpt('stopAfterStep', opts.stopAfterStep, 1);
  const lora = opts.lora ? validateLoraOptions(opts.lora) : undefined;
  const loraBase = opts.loraBase ?? 'f32';
  if (!lora && opts.loraBase !== undefined && opts.loraBase !== 'f32') throw new SftError(`loraBase ${opts.loraBase} needs LoRA (give lora options: a frozen base is what a quantized base can be)`);
  const merge = lora !== undefined && (opts.merge ?? true);
  if (merge && !statSync(opts.model).isDirectory()) {
    throw new SftError(`${opts.model}: merging the adapter needs a Hugging Face folder base (a .gguf cannot be merged into); finetune with merge off (--no-merge) to keep the adapter only`);
  }

  const data = await loadSftData(base.tokenizer, opts.data, { seqLen, template: base.chatTemplate, templateSource: base.templateSource, strict: opts.strict, evalData: opts.evalData });
  const trainedTokens = data.train.reduce((s, x) => s + x.trained.reduce((a, b) => a + b, 0), 0);
  opts.onEvent?.({ type: 'data', trainSamples: data.train.length, heldoutSamples: data.heldout.length, trainedTokens, tokens: data.train.reduce((s, x) => s + x.ids.length, 0), rejects: data.rejects, heldoutRejects: data.heldoutRejects });
  const order = new DataOrder(data.train, { seqLen, rows: microBatch, packing, seed });
  // With epochs the stream of micro-batches ends with the last epoch; its last step may be short.
  const totalMicro = epochs !== undefined ? order.microBatchesIn(epochs) : undefined;
  const steps = steps0 ?? Math.ceil(totalMicro! / accum);

  // Everything that decides the trajectory: a resume refuses to continue when one of these changed.
  const settings: Record<string, unknown> = {
    model: resolve(opts.model),
    tokenizer: resolve(base.tokenizerPath),
    data: opts.data.map((f) => resolve(f)),
    dataFingerprint: dataFingerprint(data.train),
    seqLen,
    batch,
    microBatch,
    steps,
    epochs,
    lr,
    warmupSteps,
    clip,
    adamw: adamwOpts,
    neftuneAlpha,
    packing,
    seed,
    recompute: opts.recompute ?? false,
    lora: lora ?? null,
    loraBase: lora ? loraBase : null,
    threads: rt.threads,
  };
  checkTrainingMemory(cfg, { sequences: microBatch, seqLen, recompute: opts.recompute ?? false, lora, baseType: lora ? loraBase : undefined }, { arenaBytes: rt.arenaBytes, threads: rt.threads, scratchBytesPerThread: rt.scratchBytesPerThread });

  mkdirSync(opts.out, { recursive: true });
  const notes = removeStaleWrites([opts.out, join(opts.out, 'checkpoints'), join(opts.out, 'model'), join(opts.out, 'adapter'), join(opts.out, 'eval')]);
  if (notes.length > 0) opts.onEvent?.({ type: 'cleanup', notes });
  const ckptDir = join(opts.out, 'checkpoints');
  const logPath = join(opts.out, 'log.jsonl');
  const resumeFrom = opts.resume ? latestCheckpoint(ckptDir) : undefined;
  if (!resumeFrom && existsSync(logPath) && readFileSync(logPath, 'utf8').length > 0) {
    if (!opts.resume) throw new SftError(`${opts.out} already holds a finetuning run (log.jsonl); pass --resume to continue it or choose another --out`);
    writeTextAtomic(logPath, ''); // killed before its first checkpoint: start over
  }

  const source = openWeights(opts.model);
  let model: YiTrainable;
  try {
    model = YiTrainable.create(rt, cfg, { kind: 'source', source }, { maxSeqLen: seqLen, ...(lora ? { lora, baseType: loraBase } : {}) });
  } finally {
    source.close();
  }
  const opt = new AdamW(model.params, adamwOpts);
  try {
    let step = 0;
    let tokens = 0;
    let trained = 0;
    let elapsedBefore = 0;
    if (resumeFrom) {
      const st = loadCheckpoint(resumeFrom, model, opt, lora ? ADAPTER_WEIGHTS : undefined);
      const changed = Object.keys(settings).filter((k) => JSON.stringify(st.settings[k]) !== JSON.stringify(settings[k]));
      if (changed.length > 0) {
        throw new SftError(`${resumeFrom}: cannot resume: these settings differ from the checkpoint's: ${changed.join(', ')} (resume with the same options and data, or start a new --out)`);
      }
      const d = st.data as Partial<CheckpointData> | undefined;
      const file = join(resumeFrom, 'trainer_state.json');
      if (!Number.isInteger(d?.trainedTokens)) throw new SftError(`${file}: field data.trainedTokens must be a whole number, got ${JSON.stringify(d?.trainedTokens)}`);
      order.restore(d!.order, file);
      trained = d!.trainedTokens!;
      step = st.step;
      tokens = st.tokens;
      elapsedBefore = st.elapsedSeconds;
      truncateLog(logPath, step);
    }
    const log = (record: Record<string, unknown>) => appendFileSync(logPath, JSON.stringify(record) + '\n');
    if (!resumeFrom) {
      log({ type: 'data', step: 0, train_samples: data.train.length, heldout_samples: data.heldout.length, trained_tokens: trainedTokens, rejects: data.rejects.toJSON(), heldout_rejects: data.heldoutRejects.toJSON() });
    }
    opts.onEvent?.({ type: 'start', step, steps, parameters: parameterCount(cfg), trainableParameters: model.parameterCount, batchRows: batch, microBatches: accum, resumedFrom: resumeFrom });

    const valBatches = heldoutBatches(data.heldout, { seqLen, rows: microBatch, packing });
    let lastHeldout: number | undefined;
    const validate = () => {
      const v = heldoutLoss(model, valBatches);
      if (v === undefined) return;
      lastHeldout = v;
      log({ type: 'val', step, tokens, val_loss: v });
      opts.onEvent?.({ type: 'val', step, heldoutLoss: v });
    };
    const doGeneration = opts.generationEval !== false && evalGenerations > 0 && data.heldout.length > 0;
    const generation = async (when: GenerationWhen): Promise<GenerationSummary | undefined> => {
      if (!doGeneration) return undefined;
      const done = loggedGeneration(logPath, when, step);
      if (done) return done;
      const r = await generationEval(rt, model, base, data.heldout, {
        maxNewTokens: evalMaxTokens,
        limit: evalGenerations,
        // The shots come from the training conversations, seeded by the run's seed; the prompt (shots
        // included) is kept within the training sequence length, the context the base was trained at.
        ...(when === 'base-few-shot' ? { fewShot: { pool: data.trainConversations, shots: baseShots, seed, format: baseShotsFormat }, maxContext: seqLen } : {}),
        onProgress: (d, total) => opts.onEvent?.({ type: 'generating', when, done: d, total }),
      });
      const { samples, ...summary } = r;
      mkdirSync(join(opts.out, 'eval'), { recursive: true });
      writeTextAtomic(join(opts.out, 'eval', `${when}.jsonl`), samples.map((s) => JSON.stringify(s) + '\n').join(''));
      log({ type: 'generation', when, step, ...summary });
      opts.onEvent?.({ type: 'generation', when, step, result: summary });
      return summary;
    };
    let before: GenerationSummary | undefined;
    let baseFewShot: GenerationSummary | undefined;
    if (step === 0) {
      if (!resumeFrom) validate();
      before = await generation('before');
      if (baseShots > 0) baseFewShot = await generation('base-few-shot');
    } else {
      before = loggedGeneration(logPath, 'before', 0);
      baseFewShot = loggedGeneration(logPath, 'base-few-shot', 0);
    }

    const now = opts.clock ?? (() => performance.now() / 1000);
    const t0 = now();
    const startTokens = tokens;
    const elapsedSince = () => elapsedBefore + (now() - t0);
    const save = () => {
      const state: TrainerState = {
        format: TRAINER_STATE_FORMAT,
        version: TRAINER_STATE_VERSION,
        step,
        tokens,
        data: { order: order.state(), trainedTokens: trained } satisfies CheckpointData,
        elapsedSeconds: elapsedSince(),
        settings,
      };
      const path = saveCheckpoint(ckptDir, model, opt, state, {
        tokenizerPath: base.tokenizerPath,
        keep: opts.keepCheckpoints ?? 2,
        chatTemplate: base.chatTemplate,
        // A LoRA checkpoint holds the adapter as PEFT saves it (loadable on its own), not a model folder.
        ...(lora ? { writeWeights: (dir: string) => writeLoraAdapterFiles(model, dir, { baseModel: resolve(opts.model) }) } : {}),
      });
      opts.onEvent?.({ type: 'checkpoint', step, path });
    };
    let finalLoss = NaN;
    let stoppedEarly = false;
    while (step < steps) {
      model.zeroGrad();
      const count = totalMicro === undefined ? accum : Math.min(accum, totalMicro - step * accum);
      const micro: { batch: SftBatch; epoch: number }[] = [];
      for (let a = 0; a < count; a++) micro.push(order.next());
      // One mean over the whole step: every micro-batch divides by all the step's trained tokens.
      const normalizer = Math.max(1, micro.reduce((s, m) => s + m.batch.trainedTokens, 0));
      let sum = 0;
      micro.forEach(({ batch: b }, a) => {
        const stepOpts = {
          normalizer,
          recompute: opts.recompute,
          positions: b.positions,
          segments: b.segments,
          ...(neftuneAlpha > 0 ? { neftune: { alpha: neftuneAlpha, seed: noiseSeed(seed, step, a) } } : {}),
          // LoRA dropout masks from the place in the run too (not a call counter a resume would restart).
          ...(lora ? { dropoutSeed: noiseSeed(seed ^ 0x6c6f7261, step, a) } : {}),
        };
        sum += model.lossAndGrad(b.inputs, b.targets, b.B, b.T, stepOpts).sum;
        tokens += realTokens(b);
        trained += b.trainedTokens;
      });
      const rate = learningRate({ kind: 'constant', lr, warmupSteps, totalSteps: steps }, step);
      const { gradNorm } = opt.update(rate, clip);
      step++;
      finalLoss = sum / normalizer;
      const elapsed = now() - t0;
      const tps = (tokens - startTokens) / Math.max(1e-9, elapsed);
      const epoch = micro[micro.length - 1]!.epoch;
      log({ type: 'train', step, epoch, tokens, trained_tokens: trained, loss: finalLoss, lr: rate, grad_norm: gradNorm, tokens_per_s: round(tps), elapsed_s: round(elapsedBefore + elapsed) });
      opts.onEvent?.({ type: 'train', step, steps, epoch, tokens, trainedTokens: trained, loss: finalLoss, lr: rate, gradNorm, tokensPerSecond: tps, elapsedSeconds: elapsedBefore + elapsed });
      if ((evalInterval > 0 && step % evalInterval === 0) || step === steps) validate();
      const stop = (opts.maxSeconds !== undefined && elapsed >= opts.maxSeconds) || step === opts.stopAfterStep;
      if (step % checkpointInterval === 0 || step === steps || stop) save();
      if (stop && step < steps) {
        stoppedEarly = true;
        break;
      }
      // Timers and signals run between steps (progress bars, Ctrl-C).
      await new Promise((r) => setImmediate(r));
    }
    const modelDir = join(opts.out, 'model');
    const adapterDir = lora ? join(opts.out, 'adapter') : undefined;
    const elapsed = now() - t0;
    const result: SftResult = {
      steps: step,
      tokens,
      trainedTokens: trained,
      finalLoss,
      heldoutLoss: lastHeldout ?? lastLogged(logPath, 'val', 'val_loss'),
      before,
      baseFewShot,
      trainSamples: data.train.length,
      heldoutSamples: data.heldout.length,
      rejects: data.rejects.summary(),
      tokensPerSecond: (tokens - startTokens) / Math.max(1e-9, elapsed),
      modelDir: !lora || merge ? modelDir : undefined,
      adapterDir,
      logPath,
      stoppedEarly,
    };
    if (stoppedEarly) return result;
    if (!lora) publishModelFolder(modelDir, model, base.tokenizerPath, { chatTemplate: base.chatTemplate });
    else {
      saveLoraAdapter(model, adapterDir!, { baseModel: resolve(opts.model) });
      if (merge) {
        mergeLoraAdapter({ model: opts.model, adapter: adapterDir!, out: modelDir });
        makeChatReady(modelDir, base);
      }
    }
    result.after = await generation('after');
    if (Number.isNaN(result.finalLoss)) result.finalLoss = lastLogged(logPath, 'train', 'loss') ?? NaN;
    result.report = await writeSftReport(opts.out, {
      title: opts.report?.title ?? 'yi sft',
      settings: opts.report?.settings ?? { ...settings, out: opts.out, evalData: opts.evalData, chatTemplate: base.templateSource },
      data: summarizeData(data),
      base,
    });
    return result;
  } finally {
    opt.dispose();
    model.dispose();
  }
}

/**
 * A merged folder carries the base's tokenizer files as they were: give it the chat template the
 * samples were rendered with and <|im_end|> among the ends of generation, as a full finetune's has.
 */
function makeChatReady(dir: string, base: BaseModel): void {
  const tc = join(dir, 'tokenizer_config.json');
  if (existsSync(tc)) {
    const cfg = JSON.parse(readFileSync(tc, 'utf8')) as Record<string, unknown>;
    if (cfg.chat_template === undefined) writeJsonAtomic(tc, { ...cfg, chat_template: base.chatTemplate });
  }
  const gc = join(dir, 'generation_config.json');
  const gen = existsSync(gc) ? (JSON.parse(readFileSync(gc, 'utf8')) as Record<string, unknown>) : { bos_token_id: base.config.bosId, pad_token_id: base.config.padId };
  const eos = gen.eos_token_id === undefined ? [base.config.eosId] : Array.isArray(gen.eos_token_id) ? (gen.eos_token_id as number[]) : [gen.eos_token_id as number];
  if (!eos.includes(base.imEnd)) writeJsonAtomic(gc, { ...gen, eos_token_id: [...eos, base.imEnd] });
}

/** The data side of a checkpoint: where the data order stands, and the trained tokens so far. */
interface CheckpointData {
  order: DataOrderState;
  trainedTokens: number;
}

function summarizeData(d: SftData): { trainSamples: number; heldoutSamples: number; rejects: string; heldoutRejects: string } {
  return { trainSamples: d.train.length, heldoutSamples: d.heldout.length, rejects: d.rejects.summary(), heldoutRejects: d.heldoutRejects.total > 0 ? d.heldoutRejects.summary() : '' };
}

/** Tokens of a batch that are not padding. */
function realTokens(b: SftBatch): number {
  let n = 0;
  for (let i = 0; i < b.segments.length; i++) if (b.segments[i]! >= 0) n++;
  return n;
}

/** The NEFTune seed of a micro-batch: a function of the run's seed and its place, so a resume draws the same noise. */
export function noiseSeed(seed: number, step: number, micro: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const x of [step, micro]) {
    h = Math.imul(h ^ x, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  return h;
}

/** The generation evaluation `when` at `step` already in the log (a resume does not redo it). */
function loggedGeneration(logPath: string, when: GenerationWhen, step: number): GenerationSummary | undefined {
  for (const r of logRecords(logPath)) {
    if (r.type === 'generation' && r.when === when && r.step === step) {
      const { type: _t, when: _w, step: _s, ...summary } = r;
      return summary as unknown as GenerationSummary;
    }
  }
  return undefined;
}

function lastLogged(logPath: string, type: string, field: string): number | undefined {
  let v: number | undefined;
  for (const r of logRecords(logPath)) if (r.type === type && typeof r[field] === 'number') v = r[field] as number;
  return v;
}

function logRecords(logPath: string): Record<string, unknown>[] {
  if (!existsSync(logPath)) return [];
  const out: Record<string, unknown>[] = [];
  for (const line of readFileSync(logPath, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* a line cut by a kill */
    }
  }
  return out;
}

/** Drops log records past `step` (written after the checkpoint a resume starts from). */
function truncateLog(path: string, step: number): void {
  const kept = logRecords(path).filter((r) => typeof r.step === 'number' && r.step <= step);
  writeTextAtomic(path, kept.map((r) => JSON.stringify(r) + '\n').join(''));
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

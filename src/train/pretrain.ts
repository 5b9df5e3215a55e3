// Pretraining from scratch (or continued pretraining): packed token sequences -> YiTrainable -> AdamW,
// with gradient accumulation to an effective batch in tokens, warmup + cosine (or WSD) schedule, clipping,
// periodic validation, atomic checkpoints and an exact resume. One loop, one place for each thing.
// The run's length is a step count, or a wall-clock budget that the planner of budget.ts keeps.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeTextAtomic } from '../formats/atomic.js';
import { validateConfig, type YiConfig } from '../model/config.js';
import { checkTrainingMemory } from '../model/memory.js';
import { openWeights } from '../model/source.js';
import { YiTrainable, type ParamInit } from '../model/trainable.js';
import type { Runtime } from '../runtime/runtime.js';
import { checkpointName, latestCheckpoint, loadCheckpoint, publishModelFolder, saveCheckpoint, TRAINER_STATE_FORMAT, TRAINER_STATE_VERSION, type TrainerState } from './checkpoint.js';
import { AdamW, PRETRAIN_ADAMW, type AdamWOptions } from './optimizer.js';
import { PackedSequences, sequenceCount, validationBatches, type PackingState, type TokenBatch } from './packing.js';
import { removeStaleWrites } from './run-folder.js';
import { learningRate, type ScheduleKind } from './schedule.js';
import { BudgetError, TimeBudget, type BudgetSummary, type TimeBudgetOptions } from './budget.js';
import { unigramBaseline } from './baseline.js';
import { HEARTBEAT_FILE, Heartbeats, readHeartbeat } from './heartbeat.js';
import { openTokenDataset, type TokenDataset } from './shards.js';

export interface PretrainOptions {
  /** The architecture (a preset's config or one read from config.json). */
  model: YiConfig;
  /** A token dataset folder written by `yi tokenize` (dataset.json + shards). */
  data: string;
  /** Output folder: checkpoints/, model/ (the final weights), log.jsonl, report. */
  out: string;
  /** Tokens per training sequence (default 256). */
  seqLen?: number;
  /** Tokens per optimizer step, the effective batch (default 16 sequences' worth). Rounded to whole sequences. */
  batchTokens?: number;
  /** Tokens per forward/backward pass; batchTokens / microBatchTokens passes are accumulated (default min(batchTokens, 8192)). */
  microBatchTokens?: number;
  /** Optimizer steps of the run (or give tokenBudget, or timeBudget). */
  steps?: number;
  /** Total training tokens; steps = ceil(tokenBudget / batchTokens). */
  tokenBudget?: number;
  /**
   * Train for this much wall-clock time instead of a step count: the steps, the WSD decay's start and
   * the evaluation and checkpoint times follow the clock (budget.ts). The schedule must be 'wsd' (the
   * default here); warmupSteps defaults to 5% of the steps that timeBudget.stepSeconds predicts.
   */
  timeBudget?: TimeBudgetOptions;
  /** The time source in seconds (default performance.now() / 1000); tests give a fake one. */
  clock?: () => number;
  /** Peak learning rate (default 3e-4, Yi-6B's [YI-SPEC 1]; small models like more, e.g. 1e-3). */
  lr?: number;
  /** Floor of the cosine or WSD decay (default lr / 10). */
  minLr?: number;
  /** Linear warmup steps (default: 5% of the steps, at most 1000). */
  warmupSteps?: number;
  schedule?: ScheduleKind;
  /** Global gradient-norm clip (default 1.0; 0 disables). */
  clip?: number;
  adamw?: Partial<AdamWOptions>;
  /** Validate every N steps (default 100; 0: only at the end). */
  evalInterval?: number;
  /** Validation tokens per evaluation (default 32768, from the start of the val split). */
  evalTokens?: number;
  /** Checkpoint every N steps (default 200) and at the end. */
  checkpointInterval?: number;
  /** Checkpoints kept (default 2). */
  keepCheckpoints?: number;
  /** Seeds the initial weights and the data order (default 1). */
  seed?: number;
  /** Recompute block activations in backward (less memory). */
  recompute?: boolean;
  /** Start from these weights (an HF folder or GGUF) instead of random ones. */
  initFrom?: string;
  /** Continue from the newest checkpoint in out/checkpoints (bit-identical to an uninterrupted run). */
  resume?: boolean;
  /** Stop (after checkpointing) once this many seconds of training have passed in this process. */
  maxSeconds?: number;
  /** Called after every optimizer step and every evaluation. */
  onEvent?: (e: TrainEvent) => void;
}

export type TrainEvent =
  | { type: 'start'; step: number; steps: number; budgetSeconds?: number; parameters: number; batchTokens: number; microBatches: number; resumedFrom?: string; resumedSeconds?: ResumedTime; unigramLoss: number }
  | { type: 'train'; step: number; steps: number; tokens: number; loss: number; lr: number; gradNorm: number; tokensPerSecond: number; elapsedSeconds: number }
  /** A time-budgeted run starts its learning-rate decay (after `step` steps, `elapsedSeconds` into the run). */
  | { type: 'decay'; step: number; plannedSteps: number; elapsedSeconds: number; budgetSeconds: number }
  | { type: 'val'; step: number; tokens: number; valLoss: number }
  | { type: 'checkpoint'; step: number; path: string }
  /** What a start removed or put back from writers killed mid-write (run-folder.ts), one note each. */
  | { type: 'cleanup'; notes: string[] };

/**
 * The training time a resume counts as spent: the larger of the checkpoint's and the heartbeat's
 * (heartbeat.ts), so that the time trained after the last checkpoint before a kill is not lost to the budget.
 */
export interface ResumedTime {
  /** What is counted: max(checkpoint, heartbeat). */
  seconds: number;
  /** Elapsed seconds saved in the checkpoint resumed from (0 when the run restarts before its first). */
  checkpointSeconds: number;
  /** Elapsed seconds of the run's last heartbeat, when it left one. */
  heartbeatSeconds?: number;
  /** The heartbeat's file. */
  heartbeatFile: string;
}

export interface PretrainResult {
  steps: number;
  tokens: number;
  finalLoss: number;
  valLoss?: number;
  /** Training tokens per second over this process's steps. */
  tokensPerSecond: number;
  /** The final Hugging Face folder (out/model). */
  modelDir: string;
  logPath: string;
  /** True when maxSeconds stopped the run before its last step (resume continues it). */
  stoppedEarly: boolean;
  /** A time-budgeted run: how the budget went (over it, and why). */
  budget?: BudgetSummary;
  /** Seconds of training counted from before this process (a resume), 0 for a fresh run. */
  resumedSeconds: number;
}

export async function pretrain(rt: Runtime, opts: PretrainOptions): Promise<PretrainResult> {
  const cfg = validateConfig({ ...opts.model });
  const dataset = openTokenDataset(opts.data);
  try {
    if (dataset.meta.vocabSize > cfg.vocabSize) {
      throw new RangeError(`${opts.data}: the tokenizer has ${dataset.meta.vocabSize} ids but the model's vocabulary is ${cfg.vocabSize}`);
    }
    return await run(rt, cfg, dataset, opts);
  } finally {
    dataset.close();
  }
}

async function run(rt: Runtime, cfg: YiConfig, dataset: TokenDataset, opts: PretrainOptions): Promise<PretrainResult> {
  const seqLen = opts.seqLen ?? 256;
  const intOpt = (name: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${v}`);
    return v;
  };
  intOpt('seqLen', seqLen, 2);
  if (seqLen > cfg.maxPositions) throw new RangeError(`seqLen ${seqLen} exceeds the model's max positions ${cfg.maxPositions}`);
  const batchSeqs = Math.max(1, Math.round((opts.batchTokens ?? 16 * seqLen) / seqLen));
  const microSeqs = Math.min(batchSeqs, Math.max(1, Math.floor((opts.microBatchTokens ?? Math.min(batchSeqs * seqLen, 8192)) / seqLen)));
  if (batchSeqs % microSeqs !== 0) {
    throw new RangeError(`batchTokens (${batchSeqs} sequences) must be a multiple of microBatchTokens (${microSeqs} sequences) so that every step accumulates whole micro-batches`);
  }
  const accum = batchSeqs / microSeqs;
  const batchTokens = batchSeqs * seqLen;
  const steps = opts.steps ?? (opts.tokenBudget !== undefined ? Math.ceil(opts.tokenBudget / batchTokens) : undefined);
  const timeBudget = opts.timeBudget;
  if (timeBudget && steps !== undefined) throw new BudgetError('give a step count (steps or tokenBudget) or a timeBudget, not both');
  if (!timeBudget && steps === undefined) throw new RangeError('give steps, tokenBudget or timeBudget');
  if (steps !== undefined) intOpt('steps', steps, 1);
  const lr = opts.lr ?? 3e-4;
  const warmupSteps = opts.warmupSteps ?? (steps !== undefined ? Math.min(1000, Math.floor(steps * 0.05)) : budgetWarmup(timeBudget!));
  const schedule = { kind: opts.schedule ?? (timeBudget ? 'wsd' : 'cosine'), lr, warmupSteps, totalSteps: steps ?? 0, minLr: opts.minLr } as const;
  if (timeBudget && schedule.kind !== 'wsd') throw new BudgetError(`a time budget needs the wsd schedule (its decay starts when the clock says so), got '${schedule.kind}'`);
  const clip = opts.clip ?? 1.0;
  const adamwOpts = { ...PRETRAIN_ADAMW, ...opts.adamw };
  const evalInterval = intOpt('evalInterval', opts.evalInterval ?? 100, 0);
  const evalTokens = intOpt('evalTokens', opts.evalTokens ?? 32768, 0);
  const checkpointInterval = intOpt('checkpointInterval', opts.checkpointInterval ?? 200, 1);
  const seed = opts.seed ?? 1;
  // An evaluation is a forward pass over evalTokens, about a third of a training step's work per token.
  const budget = timeBudget ? new TimeBudget(timeBudget, { lr, minLr: opts.minLr ?? lr / 10, warmupSteps }, evalTokens / (3 * batchTokens)) : undefined;
  // Everything that decides the trajectory: a resume refuses to continue when one of these changed.
  const settings: Record<string, unknown> = {
    model: cfg,
    data: resolve(opts.data),
    seqLen,
    batchTokens,
    microBatchTokens: microSeqs * seqLen,
    steps,
    timeBudget,
    lr,
    minLr: opts.minLr,
    warmupSteps,
    schedule: schedule.kind,
    clip,
    adamw: adamwOpts,
    seed,
    recompute: opts.recompute ?? false,
    initFrom: opts.initFrom && resolve(opts.initFrom),
    threads: rt.threads,
  };

  checkStepMemory(rt, cfg, microSeqs, seqLen, opts.recompute ?? false);
  mkdirSync(opts.out, { recursive: true });
  cleanUpKilledWrites(opts);
  const ckptDir = join(opts.out, 'checkpoints');
  const logPath = join(opts.out, 'log.jsonl');
  const resumeFrom = opts.resume ? latestCheckpoint(ckptDir) : undefined;
  // Read before anything can overwrite it: the time the killed run trained since its last checkpoint.
  const heartbeat = opts.resume ? readHeartbeat(opts.out) : undefined;
  const heartbeats = new Heartbeats(opts.out);
  if (opts.resume && resumeFrom === undefined && existsSync(logPath)) {
    // A run killed before its first checkpoint: start over.
    writeTextAtomic(logPath, '');
  }

  const init: ParamInit = opts.initFrom ? { kind: 'source', source: openWeights(opts.initFrom) } : { kind: 'random', seed };
  const model = YiTrainable.create(rt, cfg, init, { maxSeqLen: seqLen });
  if (init.kind === 'source') init.source.close();
  const opt = new AdamW(model.params, adamwOpts);
  const data = new PackedSequences(dataset.split('train'), { seqLen, seed });
  let step = 0;
  let tokens = 0;
  let elapsedBefore = 0;
  let resumedSeconds: ResumedTime | undefined;
  try {
    if (resumeFrom) {
      const st = loadCheckpoint(resumeFrom, model, opt);
      const changed = Object.keys(settings).filter((k) => JSON.stringify(st.settings[k]) !== JSON.stringify(settings[k]));
      if (changed.length > 0) {
        throw new RangeError(`${resumeFrom}: cannot resume: these settings differ from the checkpoint's: ${changed.join(', ')} (resume with the same options, or start a new --out)`);
      }
      data.restore(st.data as PackingState);
      step = st.step;
      tokens = st.tokens;
      elapsedBefore = st.elapsedSeconds;
      if (budget) {
        const file = join(resumeFrom, 'trainer_state.json');
        if (st.budget === undefined) throw new BudgetError(`${file}: the run has a time budget but the checkpoint has no field budget (the planner's state)`);
        budget.restore(st.budget, file);
      }
      truncateLog(logPath, step);
    } else if (existsSync(logPath) && readFileSync(logPath, 'utf8').length > 0 && !opts.resume) {
      throw new RangeError(`${opts.out} already holds a training run (log.jsonl); pass --resume to continue it or choose another --out`);
    }
    if (opts.resume && (resumeFrom || heartbeat)) {
      // A run killed before its first checkpoint starts over, but the time it trained is spent too.
      resumedSeconds = { seconds: Math.max(elapsedBefore, heartbeat?.elapsedSeconds ?? 0), checkpointSeconds: elapsedBefore, heartbeatSeconds: heartbeat?.elapsedSeconds, heartbeatFile: join(opts.out, HEARTBEAT_FILE) };
      elapsedBefore = resumedSeconds.seconds;
    }
    const log = (record: Record<string, unknown>) => appendFileSync(logPath, JSON.stringify(record) + '\n');
    // The loss of a context-free model of the same tokens: what "learning" must beat.
    const unigram = unigramBaseline(dataset);
    if (!resumeFrom) log({ type: 'baseline', step: 0, unigram_loss: unigram.crossEntropy, on: unigram.split });
    opts.onEvent?.({ type: 'start', step, steps: steps ?? budgetEstimate(timeBudget!), budgetSeconds: timeBudget?.seconds, parameters: model.parameterCount, batchTokens, microBatches: accum, resumedFrom: resumeFrom, resumedSeconds, unigramLoss: unigram.crossEntropy });

    // The same validation sequences at every evaluation, spread over the whole val split.
    const val: TokenBatch[] = evalTokens > 0 && sequenceCount(dataset.split('val').tokens, seqLen) > 0
      ? [...validationBatches(dataset.split('val'), { seqLen, maxSequences: Math.max(1, Math.floor(evalTokens / seqLen)), batchSequences: microSeqs })]
      : [];
    const evaluate = (): number | undefined => {
      if (val.length === 0) return undefined;
      let sum = 0;
      let count = 0;
      for (const b of val) {
        const r = model.loss(b.inputs, b.targets, b.inputs.length / seqLen, seqLen);
        sum += r.sum;
        count += r.count;
      }
      return sum / Math.max(1, count);
    };
    const now = opts.clock ?? (() => performance.now() / 1000);
    const t0 = now();
    const elapsedSince = () => elapsedBefore + (now() - t0);
    const startStep = step;
    let finalLoss = NaN;
    let valLoss: number | undefined;
    let stoppedEarly = false;
    // A budgeted run resumed from its final checkpoint has nothing left to do.
    let finished = budget?.finished ?? false;
    const save = () => {
      const state: TrainerState = {
        format: TRAINER_STATE_FORMAT,
        version: TRAINER_STATE_VERSION,
        step,
        tokens,
        data: data.state(),
        elapsedSeconds: elapsedSince(),
        settings,
        ...(budget ? { budget: budget.state() } : {}),
      };
      const path = saveCheckpoint(ckptDir, model, opt, state, { tokenizerPath: dataset.meta.tokenizer.path, keep: opts.keepCheckpoints ?? 2 });
      opts.onEvent?.({ type: 'checkpoint', step, path });
    };

    while (budget ? !finished : step < steps!) {
      const stepStart = elapsedSince();
      // A budgeted run decides the step's rate (and whether it is the last) from the clock; a fixed one from the step.
      const plan = budget ? budget.plan(step, stepStart) : { lr: learningRate(schedule, step), last: step + 1 === steps, plannedSteps: steps!, decayStarts: false };
      if (plan.decayStarts) {
        // Numbered like the step it starts with, so that a resume from an earlier checkpoint drops and re-decides it.
        log({ type: 'decay', step: step + 1, planned_steps: plan.plannedSteps, elapsed_s: round(stepStart) });
        opts.onEvent?.({ type: 'decay', step, plannedSteps: plan.plannedSteps, elapsedSeconds: stepStart, budgetSeconds: budget!.seconds });
      }
      model.zeroGrad();
      let sum = 0;
      for (let a = 0; a < accum; a++) {
        const b = data.next(microSeqs);
        // One mean over the whole effective batch: every micro-batch divides by all its targets.
        const r = model.lossAndGrad(b.inputs, b.targets, microSeqs, seqLen, { normalizer: batchTokens, recompute: opts.recompute });
        sum += r.sum;
      }
      const rate = plan.lr;
      const { gradNorm } = opt.update(rate, clip);
      step++;
      tokens += batchTokens;
      finalLoss = sum / batchTokens;
      finished = plan.last;
      const elapsed = now() - t0;
      const tps = ((step - startStep) * batchTokens) / Math.max(1e-9, elapsed);
      log({ type: 'train', step, tokens, loss: finalLoss, lr: rate, grad_norm: gradNorm, ...(budget ? { planned_steps: plan.plannedSteps } : {}), tokens_per_s: round(tps), elapsed_s: round(elapsedBefore + elapsed) });
      opts.onEvent?.({ type: 'train', step, steps: plan.plannedSteps, tokens, loss: finalLoss, lr: rate, gradNorm, tokensPerSecond: tps, elapsedSeconds: elapsedBefore + elapsed });
      // The step's time includes reporting it: that is part of what each step costs.
      budget?.stepDone(elapsedSince() - stepStart);
      const afterStep = elapsedSince();
      if (budget ? budget.shouldEvaluate(step, afterStep, finished) : (evalInterval > 0 && step % evalInterval === 0) || step === steps) {
        valLoss = evaluate();
        if (valLoss !== undefined) {
          log({ type: 'val', step, tokens, val_loss: valLoss });
          opts.onEvent?.({ type: 'val', step, tokens, valLoss });
        }
        budget?.evaluated(afterStep, elapsedSince() - afterStep);
      }
      const outOfTime = opts.maxSeconds !== undefined && elapsed >= opts.maxSeconds;
      const beforeCheckpoint = elapsedSince();
      if (budget ? budget.shouldCheckpoint(step, beforeCheckpoint, finished) || outOfTime : step % checkpointInterval === 0 || step === steps || outOfTime) {
        budget?.checkpointStarts(beforeCheckpoint);
        save();
        budget?.checkpointed(elapsedSince() - beforeCheckpoint);
      }
      if (outOfTime && !(budget ? finished : step === steps)) {
        stoppedEarly = true;
        break;
      }
      heartbeats.beat({ step, elapsedSeconds: elapsedSince() });
      // Let timers and signals run between steps (progress bars, Ctrl-C).
      await new Promise((r) => setImmediate(r));
    }
    const modelDir = join(opts.out, 'model');
    if (!stoppedEarly) publishModelFolder(modelDir, model, dataset.meta.tokenizer.path);
    const elapsed = now() - t0;
    return {
      steps: step,
      tokens,
      finalLoss,
      valLoss,
      tokensPerSecond: ((step - startStep) * batchTokens) / Math.max(1e-9, elapsed),
      modelDir,
      logPath,
      stoppedEarly,
      budget: budget && !stoppedEarly ? budget.summary(step, elapsedBefore + elapsed, batchTokens) : undefined,
      resumedSeconds: elapsedBefore,
    };
  } finally {
    opt.dispose();
    model.dispose();
  }
}

/** Refuses, with the figure, a model and micro-batch whose training step cannot fit (model/memory.ts). */
function checkStepMemory(rt: Runtime, cfg: YiConfig, sequences: number, seqLen: number, recompute: boolean): void {
  checkTrainingMemory(cfg, { sequences, seqLen, recompute }, { arenaBytes: rt.arenaBytes, threads: rt.threads, scratchBytesPerThread: rt.scratchBytesPerThread });
}

/** Removes the unfinished checkpoints, model folders and files of killed runs in the output folder. */
function cleanUpKilledWrites(opts: PretrainOptions): void {
  const notes = removeStaleWrites([opts.out, join(opts.out, 'checkpoints'), join(opts.out, 'model')]);
  if (notes.length > 0) opts.onEvent?.({ type: 'cleanup', notes });
}

/** Drops log records past `step` (written after the checkpoint a resume starts from). */
function truncateLog(path: string, step: number): void {
  if (!existsSync(path)) return;
  const kept = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => {
      if (line.trim() === '') return false;
      try {
        return (JSON.parse(line) as { step?: number }).step! <= step;
      } catch {
        return false; // a line cut by the crash
      }
    });
  writeTextAtomic(path, kept.map((l) => l + '\n').join(''));
}

/** Warmup of a budgeted run: 5% of the steps the estimated step time predicts, at most 1000. */
function budgetWarmup(b: TimeBudgetOptions): number {
  if (b.stepSeconds === undefined) throw new BudgetError('a time budget needs warmupSteps, or timeBudget.stepSeconds (an estimate of the step time) to size the warmup');
  return Math.min(1000, Math.floor(0.05 * budgetEstimate(b)));
}

/** The steps a budget is expected to hold before any is measured (minSteps without an estimate). */
function budgetEstimate(b: TimeBudgetOptions): number {
  const n = b.stepSeconds ? Math.floor(b.seconds / b.stepSeconds) : 0;
  return Math.max(b.minSteps ?? 1, Math.min(b.maxSteps ?? Infinity, n));
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export { checkpointName };

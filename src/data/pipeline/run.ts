// runPipeline: the cleaning pipeline over a corpus, as one rank of a possibly distributed run.
//
// Phases. The pipeline is cut at each global stage. For phase 0 every task runs the document
// stages before the first global stage and writes its survivors to the work folder; then each
// task's documents are indexed by the global stage; then rank 0 runs the stage's `combine` once
// every task's index is done (other ranks wait for its marker file); then every task runs phase
// 1: the global stage's filter and the stages up to the next global stage; and so on. The last
// phase writes the output. Ranks share the output folder (a shared file system) and coordinate
// only through marker files, polled every `pollMs`.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { listInputFiles } from '../readers/formats.js';
import { buildStages, importModules, namedStages, pipelineFingerprint, resolvePipeline, specImports, stageInfo, type PipelineSource, type StageInfo } from './build.js';
import { describeJob, type Job, type RunConfig } from './jobs.js';
import { RunLayout } from './layout.js';
import { phasesOf, planTasks, recordPlan, type Plan } from './plan.js';
import { InThreadExecutor, WorkerPool, type JobExecutor } from './pool.js';
import { resolveRank, type RankInfo } from './rank.js';
import { PipelineError } from './spec.js';
import { damagedInputWarnings } from './stats.js';
import { DEFAULT_VAL_FRACTION, tokenizeCorpus } from '../../train/tokenize.js';
import { mergeRunStats, writeRunReport, type PhaseTaskResult, type ReportFiles, type RunStats } from '../report.js';

export type OutputFormat = 'jsonl.zst' | 'jsonl.gz' | 'parquet';

/**
 * Token shards of the kept documents: once every task is done, rank 0 tokenizes the output with
 * tokenizeCorpus into OUT/tokens, the dataset folder `yi pretrain --data` reads (train/val split by a
 * hash of each document, resumable like `yi tokenize`).
 */
export interface TokenOutputOptions {
  /** tokenizer.model, tokenizer.json, a Hugging Face folder or a .gguf file. */
  tokenizer: string;
  /** Fraction of documents for the validation split (default 0.005, as `yi tokenize`). */
  valFraction?: number;
  /** Start each document with BOS (default false; documents always end with EOS). */
  addBos?: boolean;
}

export interface PipelineProgress {
  /** 'phase 1/3', 'index minhash_dedup', 'combine minhash_dedup', 'waiting for other ranks' (phases count from 1, as in describeJob). */
  step: string;
  /**
   * Input records this process has read in this run: counted where the input is read (the first
   * phase); later phases reread the survivors and do not add to it.
   */
  records: number;
  /** Jobs of the current step done, out of `jobs`. */
  done: number;
  jobs: number;
}

export interface RunPipelineOptions {
  /** A spec, a .yaml/.json file, a built-in name ('default'), a module, or Stage objects (these run in this thread only). */
  pipeline: PipelineSource;
  /** Input files and folders. */
  input: readonly string[];
  /** Output folder (created; a rerun with the same plan resumes it). */
  out: string;
  /** Format of the kept documents. Default 'jsonl.zst'. */
  format?: OutputFormat;
  /**
   * gzip level of JSONL.gz output, 1..9. Default 1: about 140 MB/s on one core against 40 MB/s at
   * level 6, for files about 25% larger (measured on web-like text; README).
   */
  gzipLevel?: number;
  /** Also tokenize the kept documents into token shards. */
  tokens?: TokenOutputOptions;
  /** Text field / column of the inputs. Default 'text'. */
  field?: string;
  /** Id field / column of the inputs; null: always `<source>:<index>`. Default 'id'. */
  idField?: string | null;
  /** Minimum number of tasks (at least one per input file). Default: one per file. */
  tasks?: number;
  /** Worker threads. Default: the number of cores; 0 runs in this thread. */
  workers?: number;
  /** This process's rank and the world size; default from Slurm / Kubernetes variables, else 0 of 1. */
  rank?: number;
  world?: number;
  /** Input records per checkpoint within a task. Default 10000. */
  checkpointEvery?: number;
  /** Write dropped documents with stage and reason under OUT/dropped/. */
  writeDropped?: boolean;
  /** Modules to import in every worker first (they register stage types or shard formats). */
  imports?: readonly string[];
  /** Keep the documents between phases after they are used. Default false. */
  keepWork?: boolean;
  /** How often ranks look for each other's marker files. Default 2000 ms. */
  pollMs?: number;
  /** Give up waiting for other ranks after this long. Default: wait forever. */
  waitTimeoutMs?: number;
  onProgress?: (p: PipelineProgress) => void;
  /** Called for each line worth logging (task done, waiting...). */
  onLog?: (line: string) => void;
  /** Called for what the run skips or keeps only in part: input files that are not regular files, damaged input files. */
  onWarning?: (message: string) => void;
  /** Called for what the user should hear about whatever the display (default scorer models trained into the cache). */
  onNotice?: (line: string) => void;
}

export interface PipelineRunResult {
  rank: RankInfo;
  /** Tasks of the whole run, and this rank's share. */
  tasks: number;
  myTasks: number;
  /** This rank's tasks that an earlier run had finished. */
  tasksDone: number;
  /** Jobs (task phases, indexes, combines) run now. */
  jobsRun: number;
  /** Input records read by this process in this run (the first phase's reads). */
  records: number;
  seconds: number;
  /** Merged stats and report (rank 0, once every task of every rank is done). */
  stats?: RunStats;
  report?: ReportFiles;
  /** The token dataset folder (rank 0, when `tokens` was given). */
  tokens?: string;
  plan: Plan;
}

async function waitFor(paths: readonly string[], what: string, o: RunPipelineOptions, progress: (step: string, done: number, jobs: number) => void): Promise<void> {
  const pollMs = o.pollMs ?? 2000;
  const start = Date.now();
  let logged = 0;
  for (;;) {
    const missing = paths.filter((p) => !existsSync(p));
    if (missing.length === 0) return;
    progress(`waiting for ${what}`, paths.length - missing.length, paths.length);
    if (Date.now() - logged > 60_000) {
      o.onLog?.(`waiting for ${what}: ${missing.length} of ${paths.length} not done (first: ${missing[0]})`);
      logged = Date.now();
    }
    if (o.waitTimeoutMs !== undefined && Date.now() - start > o.waitTimeoutMs) {
      throw new PipelineError(`gave up waiting for ${what} after ${Math.round((Date.now() - start) / 1000)} s: ${missing.length} not done (first: ${missing[0]})`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

export async function runPipeline(o: RunPipelineOptions): Promise<PipelineRunResult> {
  const t0 = performance.now();
  const rank = resolveRank({ rank: o.rank, world: o.world });
  const out = resolve(o.out);
  const layout = new RunLayout(out);
  const source = resolvePipeline(o.pipeline);
  const imports = [...(o.imports ?? []).map((m) => (m.startsWith('.') || m.startsWith('/') ? resolve(m) : m)), ...('resolved' in source ? specImports(source.resolved) : [])];
  await importModules(imports, 'resolved' in source ? source.resolved : undefined);
  // The main thread's own instance: it tells the phases apart, and runs jobs when there are no workers.
  const stages = 'stages' in source ? namedStages(source.stages) : await buildStages(source.resolved, { notice: o.onNotice });
  const infos: StageInfo[] = stageInfo(stages);
  const phases = phasesOf(infos);

  const checkpointEvery = o.checkpointEvery ?? 10_000;
  if (!Number.isInteger(checkpointEvery) || checkpointEvery < 1) throw new PipelineError(`checkpointEvery must be a whole number >= 1 (got ${checkpointEvery})`);
  const format = o.format ?? 'jsonl.zst';
  if (format !== 'jsonl.zst' && format !== 'jsonl.gz' && format !== 'parquet') throw new PipelineError(`format must be 'jsonl.zst', 'jsonl.gz' or 'parquet' (got '${format}')`);
  const gzipLevel = o.gzipLevel ?? 1;
  if (!Number.isInteger(gzipLevel) || gzipLevel < 1 || gzipLevel > 9) throw new PipelineError(`gzipLevel must be a whole number from 1 to 9 (got ${gzipLevel})`);
  const files = listInputFiles(o.input, o.onWarning);
  const plan: Plan = {
    version: 1,
    pipeline: pipelineFingerprint('resolved' in source ? source.resolved : undefined, stages),
    stages: infos,
    inputs: files.map((f) => ({ source: f.source, format: f.format, size: f.size })),
    tasks: await planTasks(files, o.tasks ?? files.length),
    settings: {
      format,
      gzipLevel,
      field: o.field ?? 'text',
      idField: o.idField === undefined ? 'id' : o.idField,
      checkpointEvery,
      writeDropped: o.writeDropped ?? false,
      tokens: o.tokens ? { valFraction: o.tokens.valFraction ?? DEFAULT_VAL_FRACTION, addBos: o.tokens.addBos ?? false } : null,
    },
  };
  recordPlan(layout.plan, plan);

  const config: RunConfig = {
    out,
    plan,
    paths: Object.fromEntries(files.map((f) => [f.source, f.path])),
    keepWork: o.keepWork ?? false,
    pipeline: 'resolved' in source ? source.resolved : undefined,
    imports,
  };
  const nTasks = plan.tasks.length;
  const mine = plan.tasks.map((_, t) => t).filter((t) => t % rank.world === rank.rank);
  const last = phases.length - 1;

  let records = 0;
  // Only the first phase reads the input; the others read what it kept.
  let readingInput = false;
  let step = '';
  let done = 0;
  let jobs = 0;
  const progress = (s: string, d: number, j: number): void => {
    step = s;
    done = d;
    jobs = j;
    o.onProgress?.({ step, records, done, jobs });
  };
  const onRecords = (n: number): void => {
    if (!readingInput) return;
    records += n;
    o.onProgress?.({ step, records, done, jobs });
  };

  let workers = o.workers ?? availableParallelism();
  if ('stages' in source) {
    if (o.workers !== undefined && o.workers > 0) throw new PipelineError('a pipeline given as Stage objects runs in this thread (workers: 0); give a spec, a file or a module to use worker threads');
    workers = 0;
  }
  const pending = mine.filter((t) => !existsSync(layout.phaseMarker(last, t)));
  let executor: JobExecutor | undefined;
  const getExecutor = async (): Promise<JobExecutor> => {
    executor ??= workers > 0 ? await WorkerPool.start(Math.max(1, Math.min(workers, pending.length)), config, onRecords) : new InThreadExecutor(config, stages, onRecords);
    return executor;
  };

  let jobsRun = 0;
  const runJobs = async (label: string, list: Job[]): Promise<void> => {
    if (list.length === 0) return;
    progress(label, 0, list.length);
    const ex = await getExecutor();
    let d = 0;
    await ex.runAll(list, (job, r) => {
      if (!r.skipped) jobsRun++;
      progress(label, ++d, list.length);
      if (!r.skipped) o.onLog?.(`${describeJob(job)} done${r.stats ? `: ${r.stats.docsIn} documents in, ${r.stats.docsOut} out` : ''}`);
    });
  };

  try {
    for (const p of phases) {
      // Tasks still to finish this phase (a task done with a later phase is done with this one).
      const todo = pending.filter((t) => !existsSync(layout.phaseMarker(p.index, t)));
      if (p.global !== undefined) {
        const name = infos[p.global]!.name;
        await runJobs(`index ${name}`, todo.filter((t) => !existsSync(layout.indexMarker(p.index, t))).map((task) => ({ kind: 'index', phase: p.index, task })));
        if (rank.rank === 0) {
          if (!existsSync(layout.combineMarker(p.index))) {
            await waitFor(plan.tasks.map((_, t) => layout.indexMarker(p.index, t)), `the other ranks' ${name} indexes`, o, progress);
            await runJobs(`combine ${name}`, [{ kind: 'combine', phase: p.index }]);
          }
        } else if (todo.length > 0) {
          await waitFor([layout.combineMarker(p.index)], `rank 0 to combine ${name}`, o, progress);
        }
      }
      readingInput = p.index === 0;
      await runJobs(`phase ${p.index + 1}/${phases.length}`, todo.map((task) => ({ kind: 'phase', phase: p.index, task })));
      readingInput = false;
    }
  } finally {
    await executor?.close();
  }

  const result: PipelineRunResult = { rank, tasks: nTasks, myTasks: mine.length, tasksDone: mine.length - pending.length, jobsRun, records, seconds: 0, plan };
  if (rank.rank === 0) {
    const markers = phases.flatMap((p) => plan.tasks.map((_, t) => layout.phaseMarker(p.index, t)));
    await waitFor(markers, 'the other ranks to finish', o, progress);
    const perPhase = phases.map((p) => plan.tasks.map((_, t) => JSON.parse(readFileSync(layout.phaseMarker(p.index, t), 'utf8')) as PhaseTaskResult));
    result.stats = mergeRunStats(plan, perPhase, out);
    for (const w of damagedInputWarnings(result.stats.files)) o.onWarning?.(w);
    result.report = await writeRunReport(out, result.stats);
    if (o.tokens) {
      progress('tokenize', 0, 1);
      const t = await tokenizeCorpus({
        tokenizer: resolve(o.tokens.tokenizer),
        inputs: [layout.data],
        out: layout.tokens,
        valFraction: o.tokens.valFraction,
        addBos: o.tokens.addBos,
        threads: Math.max(1, workers),
        resume: existsSync(layout.tokens),
      });
      result.tokens = t.dir;
      progress('tokenize', 1, 1);
    }
    // Everything is done: what only a resume would need goes.
    rmSync(join(layout.work, 'parts'), { recursive: true, force: true });
    rmSync(join(layout.work, 'checkpoints'), { recursive: true, force: true });
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

/** Merges the stats of a finished run's output folder again and rewrites stats.json and the report. */
export async function reportPipelineRun(outDir: string): Promise<{ stats: RunStats; report: ReportFiles }> {
  const out = resolve(outDir);
  const layout = new RunLayout(out);
  let plan: Plan;
  try {
    plan = JSON.parse(readFileSync(layout.plan, 'utf8')) as Plan;
  } catch (e) {
    throw new PipelineError(`${layout.plan}: not a pipeline output folder (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const phases = phasesOf(plan.stages);
  const missing = phases.flatMap((p) => plan.tasks.map((_, t) => layout.phaseMarker(p.index, t))).filter((m) => !existsSync(m));
  if (missing.length > 0) throw new PipelineError(`${out}: the run is not finished (${missing.length} task phases to go, first: ${missing[0]})`);
  const perPhase = phases.map((p) => plan.tasks.map((_, t) => JSON.parse(readFileSync(layout.phaseMarker(p.index, t), 'utf8')) as PhaseTaskResult));
  const stats = mergeRunStats(plan, perPhase, out);
  return { stats, report: await writeRunReport(out, stats) };
}

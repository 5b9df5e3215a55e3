// The executor's three kinds of job, each resumable and safe to run again:
//   phase k, task t:  read the task's documents (phase 0: its input slice; later: phase k-1's
//                     output), run the phase's stages, write the survivors. Checkpoint every K
//                     records: parts committed, then {records, parts, stats} saved atomically.
//   index k, task t:  the global stage that opens phase k indexes task t's documents.
//   combine k:        that stage combines every task's index (once, after every index).
import { expandCopies } from '../cluster/topic-mix.js';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeJsonAtomic } from '../../formats/atomic.js';
import { readSlice, readDocsFile, type ReadItem, type Slice } from '../readers/index.js';
import { isGlobalStage, type Doc, type DocStage, type GlobalStage, type StageResult } from '../types.js';
import { docRecord, gzipCodec, JsonlWriter, type JsonlCodec } from '../writers/jsonl.js';
import { loadZstd } from '../writers/zstd.js';
import { ParquetDocWriter } from '../writers/parquet.js';
import type { OutputWriter, PartSink } from '../writers/types.js';
import type { PipelineStage, ResolvedPipeline } from './build.js';
import { RunLayout } from './layout.js';
import { phasesOf, type Phase, type Plan } from './plan.js';
import { emptyTaskStats, TaskStatsRecorder, type TaskStats } from './stats.js';

/** Everything a worker needs besides the stages (plain data: it crosses to worker threads). */
/** zstd's default level: about gzip -1's speed at a smaller size. */
const ZSTD_LEVEL = 3;

export interface RunConfig {
  out: string;
  plan: Plan;
  /** Absolute path of each input source. */
  paths: Record<string, string>;
  keepWork: boolean;
  /** How workers rebuild the pipeline; undefined when the stages run in the calling thread only. */
  pipeline?: ResolvedPipeline;
  /** Modules to import before building (stage types, shard formats). */
  imports: string[];
}

export type Job = { kind: 'phase'; phase: number; task: number } | { kind: 'index'; phase: number; task: number } | { kind: 'combine'; phase: number };

export interface JobResult {
  /** Done already (its marker existed). */
  skipped: boolean;
  /** A phase job's stats. */
  stats?: TaskStats;
}

interface Checkpoint {
  /** Records of the task's input consumed. */
  records: number;
  /** Parts committed (numbered 0 .. parts-1). */
  parts: number;
  /** All input consumed and the last part committed. */
  finished: boolean;
  stats: TaskStats;
}

interface DroppedRecord {
  doc: Doc;
  stage: string;
  reason: string;
}

/** A job in words, with phases counted from 1 as in the progress labels ('phase 2/3'); work/phase-N folders count from 0. */
export function describeJob(j: Job): string {
  const phase = j.phase + 1;
  return j.kind === 'combine' ? `combine (phase ${phase})` : j.kind === 'index' ? `index (phase ${phase}) task ${j.task}` : `phase ${phase} task ${j.task}`;
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeJsonAtomic(path, value, 0);
}

export class JobRunner {
  private readonly layout: RunLayout;
  private readonly phases: Phase[];
  private readonly inits = new Map<number, Promise<void>>();
  /** The zstd compressor, loaded before the first part of a jsonl.zst run is written. */
  private zstd?: (data: Uint8Array, level: number) => Uint8Array;

  constructor(
    private readonly config: RunConfig,
    private readonly stages: readonly PipelineStage[],
    /** Records consumed since the last call (progress). */
    private readonly onRecords: (n: number) => void = () => {},
  ) {
    this.layout = new RunLayout(config.out);
    this.phases = phasesOf(config.plan.stages);
  }

  async run(job: Job): Promise<JobResult> {
    if (job.kind === 'combine') return this.combine(job.phase);
    if (job.kind === 'index') return this.index(job.phase, job.task);
    return this.phase(job.phase, job.task);
  }

  private globalAt(phase: number): { name: string; stage: GlobalStage } {
    const p = this.phases[phase]!;
    const s = this.stages[p.global!]!;
    if (!isGlobalStage(s.stage)) throw new Error(`stage '${s.name}' is not a global stage in this worker's pipeline`);
    return { name: s.name, stage: s.stage };
  }

  private stageDir(name: string): string {
    const dir = this.layout.stageDir(name);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  private async index(phase: number, task: number): Promise<JobResult> {
    const marker = this.layout.indexMarker(phase, task);
    if (existsSync(marker)) return { skipped: true };
    const g = this.globalAt(phase);
    await g.stage.index(readDocsFile(this.layout.phaseOutput(phase - 1, task), 0), { dir: this.stageDir(g.name), task, tasks: this.config.plan.tasks.length });
    writeJson(marker, { done: true });
    return { skipped: false };
  }

  private async combine(phase: number): Promise<JobResult> {
    const marker = this.layout.combineMarker(phase);
    if (existsSync(marker)) return { skipped: true };
    const g = this.globalAt(phase);
    await g.stage.combine({ dir: this.stageDir(g.name), tasks: this.config.plan.tasks.length });
    writeJson(marker, { done: true });
    return { skipped: false };
  }

  /** A document stage's init(), once per worker. */
  private initStage(i: number): Promise<void> {
    let p = this.inits.get(i);
    if (!p) {
      const s = this.stages[i]!;
      const stage = s.stage as DocStage;
      p = Promise.resolve(stage.init?.()).catch((e: unknown) => {
        throw new Error(`stage '${s.name}' failed to initialise: ${(e as Error).message}`);
      });
      this.inits.set(i, p);
    }
    return p;
  }

  private writers(phase: number): { out: OutputWriter<Doc>[]; dropped?: OutputWriter<DroppedRecord> } {
    const { plan } = this.config;
    const s = plan.settings;
    const L = this.layout;
    const last = phase === this.phases.length - 1;
    const out: OutputWriter<Doc>[] = [];
    if (!last) {
      out.push(new JsonlWriter<Doc>({ name: 'next', partsDir: L.parts(phase, 'next'), finalPath: (t) => L.phaseOutput(phase, t), toRecord: docRecord, codec: gzipCodec(1) }));
    } else {
      if (s.format === 'parquet') out.push(new ParquetDocWriter(L.parts(phase, 'data'), (t) => L.dataFile(t, 'parquet')));
      else {
        const codec: JsonlCodec = s.format === 'jsonl.zst' ? { extension: 'jsonl.zst', compress: (d) => this.zstd!(d, ZSTD_LEVEL) } : gzipCodec(s.gzipLevel);
        out.push(new JsonlWriter<Doc>({ name: 'data', partsDir: L.parts(phase, 'data'), finalPath: (t) => L.dataFile(t, codec.extension), toRecord: docRecord, codec }));
      }
    }
    if (!s.writeDropped) return { out };
    const dropped = new JsonlWriter<DroppedRecord>({
      name: 'dropped',
      partsDir: L.parts(phase, 'dropped'),
      finalPath: (t) => L.droppedFile(phase, t),
      toRecord: (r) => ({ id: r.doc.id, stage: r.stage, reason: r.reason, text: r.doc.text, metadata: r.doc.metadata }),
      codec: gzipCodec(1),
    });
    return { out, dropped };
  }

  private async phase(phase: number, task: number): Promise<JobResult> {
    const L = this.layout;
    const marker = L.phaseMarker(phase, task);
    if (existsSync(marker)) return { skipped: true };
    const { plan } = this.config;
    const p = this.phases[phase]!;
    const tasks = plan.tasks.length;

    // The stages of this phase: the opening global stage's filter (built for this task), then document stages.
    const chain: { name: string; stage: DocStage }[] = [];
    if (p.global !== undefined) {
      const g = this.globalAt(phase);
      const filter = await g.stage.filter({ dir: this.stageDir(g.name), task, tasks });
      await filter.init?.();
      chain.push({ name: g.name, stage: filter });
    }
    for (const i of p.stages) {
      await this.initStage(i);
      chain.push({ name: this.stages[i]!.name, stage: this.stages[i]!.stage as DocStage });
    }

    const ckptPath = L.checkpoint(phase, task);
    let state: Checkpoint = existsSync(ckptPath)
      ? (JSON.parse(readFileSync(ckptPath, 'utf8')) as Checkpoint)
      : { records: 0, parts: 0, finished: false, stats: emptyTaskStats(chain.map((c) => c.name)) };
    if (this.config.plan.settings.format === 'jsonl.zst') this.zstd ??= await loadZstd();
    const { out, dropped } = this.writers(phase);
    const all: OutputWriter<unknown>[] = [...out, ...(dropped ? [dropped] : [])] as OutputWriter<unknown>[];

    if (!state.finished) {
      for (const w of all) w.discardParts(task, state.parts);
      const rec = new TaskStatsRecorder(state.stats);
      const K = plan.settings.checkpointEvery;
      let sinks = out.map((w) => w.openPart(task, state.parts));
      let droppedSink: PartSink<DroppedRecord> | undefined = dropped?.openPart(task, state.parts);
      const commit = (): void => {
        for (const s of sinks) s.commit();
        droppedSink?.commit();
      };
      const slice = this.slice(task);
      const items: AsyncIterable<ReadItem> = phase === 0 ? readSlice(slice, { field: plan.settings.field, idField: plan.settings.idField }, state.records) : docsAsItems(readDocsFile(L.phaseOutput(phase - 1, task), state.records));
      let unreported = 0;
      for await (const item of items) {
        state.records++;
        if (phase === 0) rec.read(slice.source, item);
        if ('doc' in item) {
          const kept = await this.process(item.doc, chain, rec, droppedSink, task);
          if (kept) {
            // A topic weight above 1 keeps a document as several copies (metadata.copies, topic_mix).
            for (const d of expandCopies(kept)) {
              for (const s of sinks) s.write(d);
              state.stats.docsOut++;
            }
          }
        }
        if (++unreported === 1000) {
          this.onRecords(unreported);
          unreported = 0;
        }
        if (state.records % K === 0) {
          commit();
          state = { ...state, parts: state.parts + 1 };
          writeJson(ckptPath, state);
          sinks = out.map((w) => w.openPart(task, state.parts));
          droppedSink = dropped?.openPart(task, state.parts);
        }
      }
      this.onRecords(unreported);
      commit();
      state = { ...state, parts: state.parts + 1, finished: true };
      writeJson(ckptPath, state);
    }
    const files: string[] = [];
    for (const w of all) files.push(...(await w.finishTask(task, state.parts)));
    writeJson(marker, { stats: state.stats, files });
    for (const w of all) w.removeParts(task);
    rmSync(ckptPath, { force: true });
    if (phase > 0 && !this.config.keepWork) rmSync(L.phaseOutput(phase - 1, task), { force: true });
    return { skipped: false, stats: state.stats };
  }

  private slice(task: number): Slice {
    const t = this.config.plan.tasks[task]!;
    const input = this.config.plan.inputs.find((f) => f.source === t.source)!;
    const slice: Slice = { path: this.config.paths[t.source]!, source: t.source, format: input.format };
    if (t.bytes) slice.bytes = t.bytes;
    if (t.rows) slice.rows = t.rows;
    return slice;
  }

  /** Runs a document through the chain; returns it (maybe rewritten) when every stage keeps it. */
  private async process(doc: Doc, chain: readonly { name: string; stage: DocStage }[], rec: TaskStatsRecorder, droppedSink: PartSink<DroppedRecord> | undefined, task: number): Promise<Doc | undefined> {
    rec.stats.docsIn++;
    let d = doc;
    for (const c of chain) {
      let r: StageResult;
      try {
        const out = c.stage.process(d);
        // Most stages are synchronous: awaiting only real promises keeps the per-document cost low.
        r = out instanceof Promise ? await out : out;
      } catch (e) {
        throw new Error(`stage '${c.name}' failed on document '${d.id}' (task ${task}): ${(e as Error).message}`);
      }
      if (!r || typeof r.keep !== 'boolean') throw new Error(`stage '${c.name}' returned no result for document '${d.id}' (expected { keep, ... })`);
      if (r.keep) {
        if (!r.doc || typeof r.doc.text !== 'string') throw new Error(`stage '${c.name}' kept document '${d.id}' without returning it (expected { keep: true, doc })`);
        rec.kept(c.name, r.counts);
        d = r.doc;
      } else {
        const reason = typeof r.reason === 'string' && r.reason ? r.reason : 'unspecified';
        rec.dropped(c.name, reason, d, r.counts);
        droppedSink?.write({ doc: d, stage: c.name, reason });
        return undefined;
      }
    }
    return d;
  }
}

async function* docsAsItems(docs: AsyncIterable<Doc>): AsyncGenerator<ReadItem> {
  for await (const doc of docs) yield { doc };
}

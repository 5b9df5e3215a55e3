// The run's plan: input files cut into tasks, and the pipeline cut into phases at its global
// stages. Every rank and every rerun computes the same plan from the same inputs and options;
// the first one writes it to work/plan.json and later ones check theirs against it, so that a
// changed pipeline or input never mixes with an older run's output.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeJsonAtomic } from '../../formats/atomic.js';
import type { InputFile, InputFormat } from '../readers/formats.js';
import { parquetRowGroups } from '../readers/parquet.js';
import type { StageInfo } from './build.js';
import { PipelineError } from './spec.js';

/** A task: a whole file, or the lines starting in a byte range of a plain JSONL file, or a row range of a Parquet file. */
export interface PlanTask {
  source: string;
  bytes?: [number, number];
  rows?: [number, number];
}

/** Settings that change what a task writes: a rerun must use the same ones. */
export interface PlanSettings {
  format: 'jsonl.zst' | 'jsonl.gz' | 'parquet';
  /** gzip level of the JSONL.gz output (work files and dropped documents use 1). */
  gzipLevel: number;
  field: string;
  idField: string | null;
  checkpointEvery: number;
  writeDropped: boolean;
  tokens: { valFraction: number; addBos: boolean } | null;
}

export interface Plan {
  version: 1;
  /** The pipeline's definition (see pipelineFingerprint). */
  pipeline: string;
  stages: StageInfo[];
  inputs: { source: string; format: InputFormat; size: number }[];
  tasks: PlanTask[];
  settings: PlanSettings;
}

/**
 * Phase k runs the document stages between global stage k and the next one (phase 0: from the
 * start). A phase that follows a global stage starts with that stage's filter.
 */
export interface Phase {
  index: number;
  /** Index (in the pipeline) of the global stage that opens this phase. */
  global?: number;
  /** Indices of the document stages, in order. */
  stages: number[];
}

export function phasesOf(stages: readonly StageInfo[]): Phase[] {
  const phases: Phase[] = [{ index: 0, stages: [] }];
  stages.forEach((s, i) => {
    if (s.global) phases.push({ index: phases.length, global: i, stages: [] });
    else phases[phases.length - 1]!.stages.push(i);
  });
  return phases;
}

/**
 * At least one task per file, `wanted` in all when the files allow: the extra tasks go to the
 * splittable files (plain JSONL by bytes, Parquet by row groups) with the most bytes per task.
 */
export async function planTasks(files: readonly InputFile[], wanted: number): Promise<PlanTask[]> {
  const groups = new Map<number, number[]>();
  const limit = await Promise.all(
    files.map(async (f, i) => {
      if (f.format === 'jsonl') return Math.max(1, f.size);
      if (f.format === 'parquet' && wanted > files.length) {
        try {
          const g = await parquetRowGroups(f.path);
          groups.set(i, g);
          return Math.max(1, g.length);
        } catch {
          return 1; // unreadable: its one task reports the error
        }
      }
      return 1;
    }),
  );
  const pieces = files.map(() => 1);
  for (let extra = wanted - files.length; extra > 0; extra--) {
    let best = -1;
    for (let i = 0; i < files.length; i++) {
      if (pieces[i]! >= limit[i]!) continue;
      if (best < 0 || files[i]!.size / pieces[i]! > files[best]!.size / pieces[best]!) best = i;
    }
    if (best < 0) break;
    pieces[best]!++;
  }
  const tasks: PlanTask[] = [];
  files.forEach((f, i) => {
    const p = pieces[i]!;
    if (p === 1) {
      tasks.push({ source: f.source });
    } else if (f.format === 'jsonl') {
      for (let k = 0; k < p; k++) tasks.push({ source: f.source, bytes: [Math.floor((k * f.size) / p), Math.floor(((k + 1) * f.size) / p)] });
    } else {
      const g = groups.get(i)!;
      const before = [0];
      for (const n of g) before.push(before[before.length - 1]! + n);
      for (let k = 0; k < p; k++) tasks.push({ source: f.source, rows: [before[Math.round((k * g.length) / p)]!, before[Math.round(((k + 1) * g.length) / p)]!] });
    }
  });
  return tasks;
}

function describeDifference(old: Plan, now: Plan): string {
  if (old.version !== now.version) return 'it was written by another version';
  if (old.pipeline !== now.pipeline) return 'its pipeline differs';
  if (JSON.stringify(old.inputs) !== JSON.stringify(now.inputs)) {
    const a = new Map(old.inputs.map((f) => [f.source, f.size]));
    const changed = now.inputs.find((f) => a.get(f.source) !== f.size) ?? old.inputs.find((f) => !now.inputs.some((g) => g.source === f.source));
    return `its input files differ (${changed ? `first: ${changed.source}` : 'order'})`;
  }
  if (JSON.stringify(old.tasks) !== JSON.stringify(now.tasks)) return `its task split differs (${old.tasks.length} tasks then, ${now.tasks.length} now: same --tasks?)`;
  for (const k of Object.keys(now.settings) as (keyof PlanSettings)[]) {
    if (JSON.stringify(old.settings[k]) !== JSON.stringify(now.settings[k])) return `its setting '${k}' differs (${JSON.stringify(old.settings[k])} then, ${JSON.stringify(now.settings[k])} now)`;
  }
  return 'it differs';
}

/** Writes the plan, or checks it against the one a previous run or another rank wrote. */
export function recordPlan(path: string, plan: Plan): void {
  if (existsSync(path)) {
    let old: Plan;
    try {
      old = JSON.parse(readFileSync(path, 'utf8')) as Plan;
    } catch (e) {
      throw new PipelineError(`${path}: unreadable plan (${(e as Error).message}); remove the output folder's work/ to start over`);
    }
    if (JSON.stringify(old) !== JSON.stringify(plan)) {
      throw new PipelineError(`the output folder holds another run (${path}: ${describeDifference(old, plan)}); use a new --out, or remove that folder to start over`);
    }
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeJsonAtomic(path, plan, 1);
}

// Runs a stage the way the executor does: for a global stage, index over every task's documents,
// combine once, then each task's filter over the same documents in the same order.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isGlobalStage, type Doc, type DocStage, type GlobalStage, type Stage } from '../../../src/data/types.js';

export interface StageRun {
  kept: Doc[][];
  dropped: { id: string; reason: string }[][];
  /** Every `counts` of every result, summed. */
  counts: Record<string, number>;
}

export async function* iterate(docs: readonly Doc[]): AsyncGenerator<Doc> {
  for (const d of docs) yield d;
}

export async function indexAll(stage: GlobalStage, tasks: readonly Doc[][], dir: string): Promise<void> {
  for (let t = 0; t < tasks.length; t++) await stage.index(iterate(tasks[t]!), { dir, task: t, tasks: tasks.length });
}

export async function filterAll(stage: GlobalStage | DocStage, tasks: readonly Doc[][], dir: string): Promise<StageRun> {
  const run: StageRun = { kept: [], dropped: [], counts: {} };
  for (let t = 0; t < tasks.length; t++) {
    const f = isGlobalStage(stage) ? await stage.filter({ dir, task: t, tasks: tasks.length }) : stage;
    await f.init?.();
    const kept: Doc[] = [];
    const dropped: { id: string; reason: string }[] = [];
    for (const d of tasks[t]!) {
      const r = await f.process(d);
      for (const [k, v] of Object.entries(r.counts ?? {})) run.counts[k] = (run.counts[k] ?? 0) + v;
      if (r.keep) kept.push(r.doc);
      else dropped.push({ id: d.id, reason: r.reason });
    }
    run.kept.push(kept);
    run.dropped.push(dropped);
  }
  return run;
}

/** index -> combine -> filter in a fresh folder (removed afterwards unless `dir` is given). */
export async function runStage(stage: Stage, tasks: readonly Doc[][], dir?: string): Promise<StageRun> {
  const d = dir ?? mkdtempSync(join(tmpdir(), 'yi-global-'));
  try {
    if (isGlobalStage(stage)) {
      await indexAll(stage, tasks, d);
      await stage.combine({ dir: d, tasks: tasks.length });
    }
    return await filterAll(stage, tasks, d);
  } finally {
    if (!dir) rmSync(d, { recursive: true, force: true });
  }
}

export const doc = (id: string, text: string, metadata: Record<string, unknown> = {}): Doc => ({ id, text, metadata });

/** Splits documents into `n` tasks of consecutive documents (as an executor splits its input). */
export function splitTasks(docs: readonly Doc[], n: number): Doc[][] {
  const out: Doc[][] = Array.from({ length: n }, () => []);
  const per = Math.ceil(docs.length / n);
  docs.forEach((d, i) => out[Math.min(n - 1, Math.floor(i / per))]!.push(d));
  return out;
}

/** Deterministic generator for test corpora (mulberry32 from the project). */
export { mulberry32 } from '../../../src/tensor/random.js';

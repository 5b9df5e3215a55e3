// Where a run keeps its files. Output next to a `work/` folder holding what a rerun needs:
//   OUT/data/<task>.jsonl.gz|.parquet   kept documents, one file per task
//   OUT/tokens/                         token dataset (dataset.json + shards; with a tokenizer)
//   OUT/dropped/<task>-<phase>.jsonl.gz dropped documents with stage and reason (--write-dropped)
//   OUT/stats.json, report.md, report.html, report-stages.svg
//   OUT/work/plan.json                  the task list and settings every rank and rerun must share
//   OUT/work/done/...                   completion markers (a phase marker holds the task's stats)
//   OUT/work/checkpoints/...            in-task progress of unfinished tasks
//   OUT/work/parts/...                  part files of unfinished tasks
//   OUT/work/phase-<k>/<task>.jsonl.gz  documents between phases (before a global stage)
//   OUT/work/stages/<name>/             a global stage's own files (indexes, clusters)
import { join, relative, resolve, sep } from 'node:path';
import { PipelineError } from '../errors.js';
import { pad } from '../writers/parts.js';
import { unsafeName } from './names.js';

export class RunLayout {
  readonly work: string;
  constructor(readonly out: string) {
    this.work = join(out, 'work');
  }

  get plan(): string {
    return join(this.work, 'plan.json');
  }
  phaseMarker(phase: number, task: number): string {
    return join(this.work, 'done', `phase-${phase}`, `${pad(task)}.json`);
  }
  indexMarker(phase: number, task: number): string {
    return join(this.work, 'done', `index-${phase}`, pad(task));
  }
  combineMarker(phase: number): string {
    return join(this.work, 'done', `combine-${phase}`);
  }
  checkpoint(phase: number, task: number): string {
    return join(this.work, 'checkpoints', `phase-${phase}`, `${pad(task)}.json`);
  }
  parts(phase: number, writer: string): string {
    return join(this.work, 'parts', `phase-${phase}`, writer);
  }
  phaseOutput(phase: number, task: number): string {
    return join(this.work, `phase-${phase}`, `${pad(task)}.jsonl.gz`);
  }
  /** A global stage's folder. Stage files are created and deleted there: it must lie inside work/stages. */
  stageDir(name: string): string {
    const bad = unsafeName(name);
    if (bad) throw new PipelineError(`stage name: ${bad}`);
    return this.inside(join(this.work, 'stages'), name);
  }

  /** `parent/name`, checked to resolve inside `parent` (no separator or '..' escapes it). */
  private inside(parent: string, name: string): string {
    const p = resolve(parent, name);
    const rel = relative(resolve(parent), p);
    if (rel === '' || rel.startsWith('..') || rel.includes(sep)) throw new PipelineError(`${JSON.stringify(name)} would leave ${parent}`);
    return p;
  }
  dataFile(task: number, ext: string): string {
    return join(this.data, `${pad(task)}.${ext}`);
  }
  droppedFile(phase: number, task: number): string {
    return join(this.out, 'dropped', `${pad(task)}-${phase}.jsonl.gz`);
  }
  /** The folder of the kept documents. */
  get data(): string {
    return join(this.out, 'data');
  }
  get tokens(): string {
    return join(this.out, 'tokens');
  }
  get stats(): string {
    return join(this.out, 'stats.json');
  }
}

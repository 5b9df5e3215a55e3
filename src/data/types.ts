// The contract between the cleaning pipeline's executor and its stages. A pipeline is a list of
// stages over a stream of documents; per-document stages decide one document at a time, global
// stages (deduplication, clustering) need to see every document before they can decide.

/** One document of the stream. `id` is unique within a run and stable across reruns. */
export interface Doc {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
}

/**
 * What a per-document stage decides. A kept document may be a modified copy (a transformer rewrote
 * its text, a scorer added metadata). `counts` adds named counters to the stage's stats (e.g.
 * `{ email: 2 }` for PII replacements); `reason` is a short snake_case word (`too_few_words`).
 */
export type StageResult =
  | { keep: true; doc: Doc; counts?: Record<string, number> }
  | { keep: false; reason: string; counts?: Record<string, number> };

export type StageKind = 'filter' | 'transform' | 'scorer' | 'dedup' | 'cluster';

/** A stage that decides each document on its own (filters, PII, scorers). */
export interface DocStage {
  /** Unique within a pipeline: the key of its stats. */
  readonly name: string;
  readonly kind: StageKind;
  /** Loads what it needs (word lists, models) once per worker, before the first document. */
  init?(): Promise<void>;
  /**
   * Decides one document from the document alone: a killed task resumes from its last checkpoint,
   * so state carried from one call to the next would be lost or counted twice.
   */
  process(doc: Doc): StageResult | Promise<StageResult>;
}

/** Where a global stage keeps its state: one folder per stage in the run's work folder. */
export interface GlobalStageDirs {
  /** The stage's folder (exists, shared by every task and rank). */
  dir: string;
  /** The task this call is about, 0 .. tasks - 1. */
  task: number;
  /** How many tasks the run has. */
  tasks: number;
}

/**
 * A stage that must see every document first. The executor runs, for each task, `index` over the
 * task's documents (as they come out of the preceding stages, in a fixed order); then `combine`
 * once, after every task's index is done; then, per task again, the DocStage from `filter` over the
 * same documents in the same order. Everything a stage keeps between calls lives in files under
 * `dir` (tasks may run in different processes or on different machines), so every call must be
 * idempotent: a rerun after a crash overwrites what a killed call half-wrote (temp + rename).
 * A task killed mid-way resumes from its last checkpoint, so a filter may see only the rest of the
 * task's documents: decide each document by its id or content, never by counting calls.
 */
export interface GlobalStage {
  readonly name: string;
  readonly kind: StageKind;
  readonly global: true;
  index(docs: AsyncIterable<Doc>, at: GlobalStageDirs): Promise<void>;
  combine(at: Omit<GlobalStageDirs, 'task'>): Promise<void>;
  filter(at: GlobalStageDirs): Promise<DocStage>;
}

export type Stage = DocStage | GlobalStage;

export function isGlobalStage(s: Stage): s is GlobalStage {
  return (s as GlobalStage).global === true;
}

// What every stage did, per task: total / kept / dropped / dropped_<reason> plus the counters a
// stage's results carry (e.g. PII replacements); what every input file held (documents, errors
// by kind, skips); and up to EXAMPLES_PER_RULE dropped documents per stage and reason. Task
// stats add up in task order, so the merged stats do not depend on workers or ranks.
import type { Doc } from '../types.js';
import type { ReadItem } from '../readers/items.js';

export interface StageStats {
  total: number;
  kept: number;
  dropped: number;
  [counter: string]: number;
}

export interface FileStats {
  /** Records read (documents, errors and skips). */
  records: number;
  docs: number;
  errors: Record<string, number>;
  skipped: Record<string, number>;
  /** The first few error details ("a.jsonl:17: Unexpected token ..."). */
  examples: string[];
}

export interface DropExample {
  id: string;
  /** The start of the text (EXAMPLE_CHARS characters at most). */
  text: string;
}

export interface TaskStats {
  /** Documents that entered the phase. */
  docsIn: number;
  /** Documents the phase wrote. */
  docsOut: number;
  stages: Record<string, StageStats>;
  files: Record<string, FileStats>;
  /** stage -> reason -> examples */
  examples: Record<string, Record<string, DropExample[]>>;
}

export const EXAMPLES_PER_RULE = 3;
export const EXAMPLE_CHARS = 300;
const FILE_EXAMPLES = 3;

export function emptyTaskStats(stageNames: readonly string[]): TaskStats {
  const stages: Record<string, StageStats> = {};
  for (const n of stageNames) stages[n] = { total: 0, kept: 0, dropped: 0 };
  return { docsIn: 0, docsOut: 0, stages, files: {}, examples: {} };
}

function truncate(text: string, n: number): string {
  if (text.length <= n) return text;
  let cut = n;
  // Never split a surrogate pair.
  if (/[\ud800-\udbff]/.test(text[cut - 1]!)) cut--;
  return text.slice(0, cut) + '…';
}

/** A result counter's key in the stage's stats (never one of the executor's own keys). */
function counterKey(k: string): string {
  return k === 'total' || k === 'kept' || k === 'dropped' || k.startsWith('dropped_') ? `count_${k}` : k;
}

function addCounts(into: Record<string, number>, counts: Record<string, number> | undefined): void {
  if (!counts) return;
  for (const [k, v] of Object.entries(counts)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    const key = counterKey(k);
    into[key] = (into[key] ?? 0) + v;
  }
}

export class TaskStatsRecorder {
  constructor(readonly stats: TaskStats) {}

  read(source: string, item: ReadItem): void {
    const f = (this.stats.files[source] ??= { records: 0, docs: 0, errors: {}, skipped: {}, examples: [] });
    f.records++;
    if ('doc' in item) f.docs++;
    else if ('error' in item) {
      f.errors[item.error] = (f.errors[item.error] ?? 0) + 1;
      if (f.examples.length < FILE_EXAMPLES) f.examples.push(item.detail);
    } else f.skipped[item.skip] = (f.skipped[item.skip] ?? 0) + 1;
  }

  kept(stage: string, counts?: Record<string, number>): void {
    const s = this.stats.stages[stage]!;
    s.total++;
    s.kept++;
    addCounts(s, counts);
  }

  dropped(stage: string, reason: string, doc: Doc, counts?: Record<string, number>): void {
    const s = this.stats.stages[stage]!;
    s.total++;
    s.dropped++;
    const key = `dropped_${reason}`;
    s[key] = (s[key] ?? 0) + 1;
    addCounts(s, counts);
    const byReason = (this.stats.examples[stage] ??= {});
    const list = (byReason[reason] ??= []);
    if (list.length < EXAMPLES_PER_RULE) list.push({ id: doc.id, text: truncate(doc.text, EXAMPLE_CHARS) });
  }
}

/** Adds `from` into `into` (examples capped, in order). */
export function addTaskStats(into: TaskStats, from: TaskStats): void {
  into.docsIn += from.docsIn;
  into.docsOut += from.docsOut;
  for (const [name, s] of Object.entries(from.stages)) {
    const t = (into.stages[name] ??= { total: 0, kept: 0, dropped: 0 });
    for (const [k, v] of Object.entries(s)) t[k] = (t[k] ?? 0) + v;
  }
  for (const [source, f] of Object.entries(from.files)) {
    const t = (into.files[source] ??= { records: 0, docs: 0, errors: {}, skipped: {}, examples: [] });
    t.records += f.records;
    t.docs += f.docs;
    for (const [k, v] of Object.entries(f.errors)) t.errors[k] = (t.errors[k] ?? 0) + v;
    for (const [k, v] of Object.entries(f.skipped)) t.skipped[k] = (t.skipped[k] ?? 0) + v;
    for (const e of f.examples) if (t.examples.length < FILE_EXAMPLES) t.examples.push(e);
  }
  for (const [stage, reasons] of Object.entries(from.examples)) {
    const t = (into.examples[stage] ??= {});
    for (const [reason, list] of Object.entries(reasons)) {
      const l = (t[reason] ??= []);
      for (const ex of list) if (l.length < EXAMPLES_PER_RULE) l.push(ex);
    }
  }
}

/** Failures of a file as a whole (not of one record): the file is damaged and may have lost documents. */
const DAMAGE: readonly string[] = ['truncated', 'corrupt', 'unreadable'];

/** One warning per damaged input file: how, and what was kept from it. */
export function damagedInputWarnings(files: Record<string, FileStats>): string[] {
  const out: string[] = [];
  for (const [source, f] of Object.entries(files)) {
    const kinds = Object.entries(f.errors).filter(([k]) => DAMAGE.includes(k));
    if (kinds.length === 0) continue;
    out.push(`${source}: damaged (${kinds.map(([k, n]) => `${k} ${n}`).join(', ')}); the ${f.docs} documents read before the damage are kept (details in stats.json and the report)`);
  }
  return out;
}

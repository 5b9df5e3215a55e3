// Shared helpers for benchmarks: timing (median after warm-up) and output (table or JSON lines).
import Table from 'cli-table3';
import { KernelProfile } from '../src/runtime/profile.js';
import type { Runtime } from '../src/runtime/runtime.js';

/** One figure a user cares about. Printed as a table row, or with --json as one JSON object per line. */
export interface Figure {
  bench: string;
  case: string;
  threads?: number;
  value: number;
  unit: string;
  /** Free-form context: a baseline measured in the same run, a target, a ratio. */
  note?: string;
}

export interface TimeOptions {
  /** Untimed runs first (JIT, page faults, worker warm-up). */
  warmup?: number;
  /** Timed runs; the median is returned. */
  runs?: number;
  /** Keep running until this many seconds have been timed (at least `runs`). */
  minSeconds?: number;
}

/** Median seconds of one call of `fn`. */
export function timeIt(fn: () => void, opts: TimeOptions = {}): number {
  const { warmup = 2, runs = 7, minSeconds = 0.2 } = opts;
  for (let i = 0; i < warmup; i++) fn();
  const times: number[] = [];
  let total = 0;
  while (times.length < runs || total < minSeconds) {
    const t0 = process.hrtime.bigint();
    fn();
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    times.push(dt);
    total += dt;
    if (times.length >= 1000) break;
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/**
 * Runs `steps` more steps with the runtime's kernel timers on: a breakdown taken apart from the timed
 * steps, so its timers never touch a figure. Returns the profile and the wall milliseconds per step.
 */
export function profileSteps(rt: Runtime, steps: number, step: () => void): { profile: KernelProfile; stepMs: number } {
  const profile = new KernelProfile();
  rt.profile = profile;
  const t0 = performance.now();
  try {
    for (let s = 0; s < steps; s++) step();
  } finally {
    rt.profile = undefined;
  }
  return { profile, stepMs: (performance.now() - t0) / steps };
}

export interface Reporter {
  add(f: Figure): void;
  /** Prints what was collected (tables are printed once, JSON lines as they come). */
  flush(title?: string): void;
  /** A table of its own (a breakdown), printed after the figures; with --json its `figures` are printed
   *  instead (one per line, in the same schema as every other figure, so they can be tracked). */
  table(bench: string, title: string, head: string[], rows: (string | number)[][], figures: Figure[]): void;
}

export function reporter(json: boolean, out: (s: string) => void = (s) => process.stdout.write(s + '\n')): Reporter {
  let rows: Figure[] = [];
  let tables: string[] = [];
  return {
    add(f) {
      if (json) out(JSON.stringify(f));
      else rows.push(f);
    },
    flush(title) {
      if (json) return;
      const extra = tables;
      tables = [];
      if (rows.length === 0) return extra.forEach((t) => out(t));
      const table = new Table({ head: ['bench', 'case', 'threads', 'value', 'unit', 'note'], style: { head: [], border: [] } });
      for (const r of rows) table.push([r.bench, r.case, r.threads ?? '', fmt(r.value), r.unit, r.note ?? '']);
      if (title) out(title);
      out(table.toString());
      rows = [];
      for (const t of extra) out(t);
    },
    table(_bench, title, head, body, figures) {
      if (json) {
        for (const f of figures) out(JSON.stringify(f));
        return;
      }
      const table = new Table({ head, style: { head: [], border: [], compact: true } });
      for (const r of body) table.push(r.map((x) => (typeof x === 'number' ? (Number.isInteger(x) ? String(x) : fmt(x)) : x)));
      tables.push(`${title}\n${table.toString()}`);
    },
  };
}

function fmt(v: number): string {
  if (Number.isInteger(v) || v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

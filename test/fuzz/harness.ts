// Seeded fuzzing of file parsers: mutations of a valid file (truncations, byte flips, huge length
// claims, files made large but sparse) and a runner that parses each case in a worker thread, so
// that a parser that loops forever is terminated and reported as a hang instead of stalling the
// suite. Each case ends in one of: ok, typed (a project error naming the file), untyped (anything
// else: TypeError, RangeError, a plain Error, an error that does not name the file, a crash), hang.
import assert from 'node:assert/strict';
import { appendFileSync, closeSync, openSync, ftruncateSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { mulberry32 } from '../../src/tensor/random.js';

/** One fuzz input: the bytes to write, and optionally a larger size the file is extended to (sparse). */
export interface FuzzCase {
  /** Says how the case was made, e.g. "flip 3 bytes at 17,40,96". */
  name: string;
  bytes: Uint8Array;
  /** Extend the file to this many bytes with a hole (zeros that take no disk), for length claims. */
  sparseSize?: number;
}

/** A generator of integers in [0, n) from a seed. */
export function seeded(seed: number): (n: number) => number {
  const next = mulberry32(seed);
  return (n) => Math.floor(next() * n);
}

/** Values that make a length or count field lie: around 2^31, 2^32, 2^53 and all ones. */
const HUGE_U32 = [0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x10000000];
const HUGE_U64: bigint[] = [2n ** 31n, 2n ** 32n + 5n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 64n - 1n];

/**
 * `count` generic mutations of `valid`, the same for the same seed: truncations (prefixes), byte
 * flips, 32- and 64-bit little-endian huge values written over random aligned offsets, a cut-out
 * slice, a duplicated slice and appended garbage.
 */
export function* mutations(valid: Uint8Array, seed: number, count: number): Generator<FuzzCase> {
  const r = seeded(seed);
  const n = valid.length;
  for (let i = 0; i < count; i++) {
    const kind = r(7);
    // A copy of its own (at offset 0): slice() of a Node Buffer is a view, and edits would reach the seed.
    const b = new Uint8Array(valid);
    if (kind === 0 || n < 8) {
      const at = r(n);
      yield { name: `truncate at ${at} of ${n}`, bytes: valid.slice(0, at) };
    } else if (kind === 1) {
      const k = 1 + r(8);
      const at: number[] = [];
      for (let j = 0; j < k; j++) {
        const p = r(n);
        b[p] ^= 1 << r(8);
        at.push(p);
      }
      yield { name: `flip bits at ${at.join(',')}`, bytes: b };
    } else if (kind === 2) {
      const p = r(n - 3) & ~3;
      const v = HUGE_U32[r(HUGE_U32.length)];
      new DataView(b.buffer).setUint32(p, v, true);
      yield { name: `u32 ${v} at ${p}`, bytes: b };
    } else if (kind === 3) {
      const p = r(Math.max(1, n - 7)) & ~7;
      if (p + 8 > n) continue;
      const v = HUGE_U64[r(HUGE_U64.length)];
      new DataView(b.buffer).setBigUint64(p, v, true);
      yield { name: `u64 ${v} at ${p}`, bytes: b };
    } else if (kind === 4) {
      const from = r(n);
      const len = 1 + r(Math.min(64, n - from));
      const out = new Uint8Array(n - len);
      out.set(valid.subarray(0, from));
      out.set(valid.subarray(from + len), from);
      yield { name: `cut ${len} bytes at ${from}`, bytes: out };
    } else if (kind === 5) {
      const from = r(n);
      const len = 1 + r(Math.min(64, n - from));
      const out = new Uint8Array(n + len);
      out.set(valid.subarray(0, from + len));
      out.set(valid.subarray(from), from + len);
      yield { name: `repeat ${len} bytes at ${from}`, bytes: out };
    } else {
      const len = 1 + r(64);
      const out = new Uint8Array(n + len);
      out.set(valid);
      for (let j = n; j < out.length; j++) out[j] = r(256);
      yield { name: `append ${len} random bytes`, bytes: out };
    }
  }
}

/** Writes a case into `dir` as `name` (keep the extension a parser dispatches on) and returns its path. */
export function writeCase(dir: string, fileName: string, c: FuzzCase): string {
  const path = join(dir, fileName);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, c.bytes);
    if (c.sparseSize !== undefined && c.sparseSize > c.bytes.length) ftruncateSync(fd, c.sparseSize);
  } finally {
    closeSync(fd);
  }
  return path;
}

export type OutcomeKind = 'ok' | 'typed' | 'untyped' | 'hang';

export interface Outcome {
  case: string;
  path: string;
  kind: OutcomeKind;
  /** Error class and message, for typed and untyped outcomes. */
  error?: string;
}

export interface FuzzRun {
  /** URL of a compiled module (use `new URL('./targets/x.js', import.meta.url)`) ... */
  module: URL;
  /** ... and the name of its export `(path: string) => unknown | Promise<unknown>` that parses one file. */
  exportName: string;
  cases: { name: string; path: string }[];
  /** Time one case may take before it is called a hang (generous: the machine is shared). */
  caseTimeoutMs?: number;
}

/**
 * Parses every case in a worker thread, one after another. A case that takes longer than its
 * timeout is a hang: the worker is terminated (which stops even a synchronous endless loop) and a
 * new one continues with the next case. A worker that dies (out of memory) counts as untyped.
 */
export async function runFuzz(run: FuzzRun): Promise<Outcome[]> {
  const timeout = run.caseTimeoutMs ?? 10_000;
  const out: Outcome[] = [];
  let next = 0;
  while (next < run.cases.length) {
    next = await new Promise<number>((resolve) => {
      const start = next;
      const worker = new Worker(new URL('./worker.js', import.meta.url), {
        workerData: { module: run.module.href, exportName: run.exportName, paths: run.cases.slice(start).map((c) => c.path) },
        resourceLimits: { maxOldGenerationSizeMb: 1024 },
      });
      let current = start;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          out.push({ case: run.cases[current].name, path: run.cases[current].path, kind: 'hang', error: `no result in ${timeout} ms` });
          void worker.terminate();
          finish(current + 1);
        }, timeout);
      };
      let done = false;
      const finish = (resumeAt: number) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(resumeAt);
      };
      arm();
      worker.on('message', (m: { index: number; kind: 'ok' | 'typed' | 'untyped'; error?: string }) => {
        const c = run.cases[start + m.index];
        out.push({ case: c.name, path: c.path, kind: m.kind, error: m.error });
        current = start + m.index + 1;
        arm();
        if (current === run.cases.length) {
          void worker.terminate();
          finish(current);
        }
      });
      worker.on('error', (e) => {
        if (done) return;
        out.push({ case: run.cases[current].name, path: run.cases[current].path, kind: 'untyped', error: `worker died: ${e.message}` });
        finish(current + 1);
      });
      worker.on('exit', () => {
        if (done) return;
        out.push({ case: run.cases[current].name, path: run.cases[current].path, kind: 'untyped', error: 'worker exited during the case' });
        finish(current + 1);
      });
    });
  }
  return out;
}

/** Counts per outcome, for a test's diagnostic line. */
export function tally(outcomes: Outcome[]): Record<OutcomeKind, number> {
  const t: Record<OutcomeKind, number> = { ok: 0, typed: 0, untyped: 0, hang: 0 };
  for (const o of outcomes) t[o.kind]++;
  return t;
}

/** Fails listing the first untyped errors and hangs, with the case that produced each. */
export function assertNoUntypedOrHang(outcomes: Outcome[], what: string): void {
  const bad = outcomes.filter((o) => o.kind === 'untyped' || o.kind === 'hang');
  const lines = bad.slice(0, 12).map((o) => `  ${o.kind}: ${o.case} (${basename(o.path)}): ${o.error}`);
  assert.equal(bad.length, 0, `${what}: ${bad.length} of ${outcomes.length} cases failed badly:\n${lines.join('\n')}`);
}

/** With FUZZ_DUMP=<file> set, appends every outcome to that file as a JSON line (to see what a run did). */
export function dumpOutcomes(outcomes: Outcome[]): void {
  const file = process.env.FUZZ_DUMP;
  if (!file) return;
  appendFileSync(file, outcomes.map((o) => JSON.stringify(o)).join('\n') + '\n');
}

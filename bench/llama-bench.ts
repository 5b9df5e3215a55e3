// llama.cpp's llama-bench as a baseline measured in the same run: finding the executable, running
// it on a GGUF with our prompt / generation sizes and thread count (`-o json`), and reading its
// results (one object per test: pp<N> has n_prompt = N and n_gen = 0, tg<N> the reverse; samples_ts
// holds tokens/s of each repetition).
import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** llama-bench missing, failing or printing something else than its JSON results; the message names the executable. */
export class LlamaBenchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LlamaBenchError';
  }
}

/** One llama-bench test (a pp or tg case at one thread count). */
export interface LlamaBenchResult {
  /** Short commit of the llama.cpp build, e.g. "c392e509". */
  buildCommit: string;
  buildNumber: number;
  /** The CPU as ggml names it (e.g. "AMD EPYC 9R14 96-Core Processor"). */
  cpuInfo: string;
  backends: string;
  /** e.g. "llama ?B Q8_0". */
  modelType: string;
  nThreads: number;
  nPrompt: number;
  nGen: number;
  avgTs: number;
  /** Tokens/s of each repetition. */
  samplesTs: number[];
}

/**
 * The absolute path of a llama-bench executable: `path` itself, or a bare name looked up in $PATH.
 * Fails with a LlamaBenchError naming the path when it is missing, not a file or not executable.
 */
export function findLlamaBench(path: string): string {
  if (!path) throw new LlamaBenchError('--llama-bench: expected the path of a llama-bench executable');
  const candidates = path.includes('/') || isAbsolute(path) ? [resolve(path)] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, path));
  for (const c of candidates) {
    let st;
    try {
      st = statSync(c);
    } catch {
      continue;
    }
    if (!st.isFile()) throw new LlamaBenchError(`llama-bench ${c}: not a file (expected the llama-bench executable, e.g. llama.cpp/build/bin/llama-bench)`);
    try {
      accessSync(c, constants.X_OK);
    } catch {
      throw new LlamaBenchError(`llama-bench ${c}: not executable (chmod +x, or give the llama-bench built by llama.cpp's cmake)`);
    }
    return c;
  }
  throw new LlamaBenchError(
    path.includes('/') ? `llama-bench ${resolve(path)}: no such file (build llama.cpp and give build/bin/llama-bench)` : `llama-bench ${path}: not found in $PATH (give the executable's path)`,
  );
}

export interface LlamaBenchRun {
  /** The GGUF model file. */
  model: string;
  /** Prompt sizes (pp cases); none when empty. */
  prompts: readonly number[];
  /** Generated tokens (tg case); none when 0. */
  gen: number;
  threads: number;
  /** Repetitions of each case (llama-bench -r). */
  reps: number;
}

/** The command-line arguments for one run (CPU only: -ngl 0, so a GPU build measures the CPU too). */
export function llamaBenchArgs(run: LlamaBenchRun): string[] {
  return ['-m', run.model, '-p', run.prompts.length ? run.prompts.join(',') : '0', '-n', String(run.gen), '-t', String(run.threads), '-r', String(run.reps), '-ngl', '0', '-o', 'json'];
}

/** Runs llama-bench once (all cases of `run`) and returns its results. */
export function runLlamaBench(exe: string, run: LlamaBenchRun): LlamaBenchResult[] {
  const args = llamaBenchArgs(run);
  const r = spawnSync(exe, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const cmd = `${exe} ${args.join(' ')}`;
  if (r.error) throw new LlamaBenchError(`llama-bench ${exe} could not be started: ${r.error.message}`);
  if (r.status !== 0) {
    const why = r.signal ? `was killed by ${r.signal}` : `exited with code ${r.status}`;
    throw new LlamaBenchError(`llama-bench ${exe} ${why} on ${run.model} (${cmd})${tail(r.stderr)}`);
  }
  const results = parseLlamaBenchOutput(r.stdout, exe);
  const want = [...run.prompts.map((p) => `pp${p}`), ...(run.gen > 0 ? [`tg${run.gen}`] : [])];
  // llama-bench drops a case it cannot run (e.g. a model it fails to load) with a message, exit code 0.
  if (results.length !== want.length) throw new LlamaBenchError(`llama-bench ${exe} returned ${results.length} results, expected ${want.length} (${cmd})${tail(r.stderr)}`);
  // A ratio is only meaningful for the case and thread count we asked for (an old llama-bench may read options differently).
  results.forEach((res, i) => {
    const got = `${llamaCaseName(res)} at ${res.nThreads} threads`;
    if (got !== `${want[i]} at ${run.threads} threads`) throw new LlamaBenchError(`llama-bench ${exe} result #${i} is ${got}, expected ${want[i]} at ${run.threads} threads (${cmd})`);
  });
  return results;
}

function tail(stderr: string | undefined): string {
  const lines = (stderr ?? '').split('\n').map((l) => l.trimEnd()).filter(Boolean);
  return lines.length ? `:\n  ${lines.slice(-8).join('\n  ')}` : '';
}

/**
 * Results from llama-bench's `-o json` output (an array of objects) or `-o jsonl` (one object per
 * line). `source` names the executable or file in errors.
 */
export function parseLlamaBenchOutput(text: string, source: string): LlamaBenchResult[] {
  let items: unknown[];
  const trimmed = text.trim();
  if (trimmed === '') throw new LlamaBenchError(`llama-bench ${source}: printed no results (expected JSON from -o json)`);
  try {
    const v: unknown = JSON.parse(trimmed);
    items = Array.isArray(v) ? v : [v];
  } catch {
    items = [];
    for (const [i, line] of trimmed.split('\n').entries()) {
      if (!line.trim()) continue;
      try {
        items.push(JSON.parse(line));
      } catch {
        throw new LlamaBenchError(`llama-bench ${source}: output line ${i + 1} is not JSON (expected -o json or jsonl output): ${line.slice(0, 120)}`);
      }
    }
  }
  return items.map((item, i) => parseResult(item, `llama-bench ${source}: result #${i}`));
}

function parseResult(item: unknown, where: string): LlamaBenchResult {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new LlamaBenchError(`${where}: expected an object`);
  const o = item as Record<string, unknown>;
  const str = (k: string): string => {
    const v = o[k];
    if (typeof v !== 'string') throw new LlamaBenchError(`${where} field ${k}: expected a string, got ${JSON.stringify(v) ?? 'nothing'}`);
    return v;
  };
  const num = (k: string): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new LlamaBenchError(`${where} field ${k}: expected a non-negative number, got ${JSON.stringify(v) ?? 'nothing'}`);
    return v;
  };
  const samples = o.samples_ts;
  if (!Array.isArray(samples) || samples.length === 0 || !samples.every((s) => typeof s === 'number' && Number.isFinite(s) && s > 0)) {
    throw new LlamaBenchError(`${where} field samples_ts: expected a non-empty array of positive numbers (tokens/s per repetition)`);
  }
  return {
    buildCommit: str('build_commit'),
    buildNumber: num('build_number'),
    cpuInfo: str('cpu_info'),
    backends: typeof o.backends === 'string' ? o.backends : '',
    modelType: str('model_type'),
    nThreads: num('n_threads'),
    nPrompt: num('n_prompt'),
    nGen: num('n_gen'),
    avgTs: num('avg_ts'),
    samplesTs: samples as number[],
  };
}

/** llama-bench's name of a case: pp128, tg64. */
export function llamaCaseName(r: Pick<LlamaBenchResult, 'nPrompt' | 'nGen'>): string {
  return r.nGen === 0 ? `pp${r.nPrompt}` : r.nPrompt === 0 ? `tg${r.nGen}` : `pp${r.nPrompt}+tg${r.nGen}`;
}

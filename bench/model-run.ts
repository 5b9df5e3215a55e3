// `yi bench --model FILE | --preset NAME [--llama-bench PATH]`: a model's pp / tg (and batched decode)
// speed at each thread count; with --llama-bench, llama.cpp's llama-bench on the same GGUF file in
// the same run, rounds interleaved (ours, llama.cpp, ours, llama.cpp ...), medians over all
// repetitions of all rounds, and the ratio ours / llama.cpp next to each figure.
//
// A preset is written once as a GGUF (preset-gguf.ts) that both sides load, so that both run the same
// weights. Our runtime (and its copy of the model) is closed before each llama-bench run, so only
// one copy of a large model is in memory at a time.
import { readFileSync, statSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { basename } from 'node:path';
import { preset } from '../src/model/config.js';
import { loadModel, type LoadOptions } from '../src/model/load.js';
import { YiModel } from '../src/model/model.js';
import { weightTypesLabel } from '../src/model/weight-types.js';
import { Runtime } from '../src/runtime/runtime.js';
import type { DType } from '../src/tensor/dtype.js';
import type { Reporter } from './harness.js';
import { findLlamaBench, LlamaBenchError, llamaCaseName, runLlamaBench, type LlamaBenchResult } from './llama-bench.js';
import { contextNeeded, measureModel, median, promptList, type ModelCase } from './model.js';
import { parsePresetType, presetGGUF } from './preset-gguf.js';
import { isMixPresetType, presetMixGGUF } from './preset-mix.js';

/** What to time: give `model` or `preset`. */
export interface ModelRunOptions {
  /** A Hugging Face folder or .gguf file (a .gguf file with llamaBench). */
  model?: string;
  /** A preset shape with random weights (written as a GGUF first when llamaBench is given). */
  preset?: string;
  /** Weights' type: a preset's (default q8_0), or a --model's in memory (not with llamaBench). */
  type?: string;
  /** Thread counts; undefined = the runtime's default (one per core, or YI_THREADS). */
  threads: readonly (number | undefined)[];
  prompts: readonly number[];
  gen: number;
  /** Tokens per step of the batched-decode cases. */
  decodeBatches?: readonly number[];
  reps: number;
  strict?: boolean;
  check?: boolean;
  /** llama-bench executable: run on the same GGUF, same sizes and threads, and print ratios. */
  llamaBench?: string;
  /** Rounds of (ours, llama-bench) per thread count (default 2). */
  rounds?: number;
  /**
   * How the two sides alternate: 'case' (ours then llama-bench for each case; our model stays loaded)
   * or 'round' (all our cases, our model closed, then llama-bench). Default: 'case' for a model of up
   * to 1/16 of the machine's memory, else 'round' (one copy of a large model in memory at a time).
   */
  interleave?: 'case' | 'round';
  /** Cache folder of the preset GGUFs (default ~/.cache/yi-ts/bench). */
  cacheDir?: string;
  /** Progress lines (writing the GGUF, each round); default none. */
  onInfo?: (line: string) => void;
  /** What loading the model has to say (loadModel's onMessage); default: printed to stderr. */
  onMessage?: LoadOptions['onMessage'];
}

/** The CPU as Linux names it and the SIMD flags that decide both engines' kernels. */
export function machineFigure(flavor: string): { case: string; cores: number; note: string } {
  let flags: string[] = [];
  try {
    const line = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (line) flags = line[1]!.trim().split(/\s+/);
  } catch {
    // not Linux: the CPU model from os.cpus() is all there is
  }
  const wanted = ['sse4_2', 'avx', 'avx2', 'fma', 'f16c', 'avx_vnni', 'avx512f', 'avx512bw', 'avx512vl', 'avx512_vnni', 'avx512_bf16', 'amx_int8', 'asimd', 'sve'];
  const simd = wanted.filter((f) => flags.includes(f));
  const load = loadavg()[0]!;
  return {
    case: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cores: availableParallelism(),
    note: `${simd.length ? simd.join(' ') : 'SIMD flags unknown'}; node ${process.version}; kernels ${flavor}; load average ${load.toFixed(1)} at start`,
  };
}

export async function runModelBench(rep: Reporter, opts: ModelRunOptions): Promise<void> {
  if (opts.llamaBench) return compareWithLlama(rep, opts);
  const prompts = promptList(opts.prompts);
  const batch = Math.max(1, ...prompts, ...(opts.decodeBatches ?? []));
  const contextLength = contextNeeded({ promptTokens: prompts, genTokens: opts.gen, decodeBatches: opts.decodeBatches });
  for (const threads of opts.threads) {
    const rt = await Runtime.create({ threads });
    try {
      const model = opts.model
        ? loadModel(rt, opts.model, { dtype: opts.type as DType | undefined, batch, contextLength, strict: opts.strict, check: opts.check, onMessage: opts.onMessage })
        : YiModel.random(rt, preset(opts.preset!), (opts.type as DType | undefined) ?? 'q8_0', 1, { contextLength, batch });
      const label = opts.model ?? opts.preset!;
      const cases = measureModel(model, { promptTokens: prompts, genTokens: opts.gen, decodeBatches: opts.decodeBatches, reps: opts.reps });
      addOurs(rep, `${label} ${weightTypesLabel(model.weights)}`, rt.threads, cases);
      model.dispose();
    } finally {
      await rt.close();
    }
  }
}

function addOurs(rep: Reporter, label: string, threads: number, cases: readonly ModelCase[], llama?: Map<string, LlamaCase>): void {
  const tg = cases.find((c) => c.kind === 'tg');
  for (const c of cases) {
    const ours = median(c.rates);
    let note = c.note;
    if (c.kind === 'decode' && tg) note += `; ${(ours / median(tg.rates)).toFixed(2)}x the tokens/s of M=1`;
    const l = llama?.get(c.name);
    if (l) note = `${(ours / median(l.samples)).toFixed(2)}x llama.cpp (${fmt(median(l.samples))} tokens/s); ${note}`;
    rep.add({ bench: 'model', case: `${label} ${c.name}`, threads, value: ours, unit: 'tokens/s', note: `${note}; median of ${c.rates.length}` });
    if (!l) continue;
    const theirs = median(l.samples);
    const r = l.info;
    rep.add({
      bench: 'llama.cpp',
      case: `${label} ${c.name}`,
      threads,
      value: theirs,
      unit: 'tokens/s',
      note: `llama-bench build ${r.buildCommit} (${r.buildNumber}), ${r.backends || 'CPU'}, ${r.cpuInfo}; ${r.modelType}; median of ${l.samples.length}`,
    });
    rep.add({ bench: 'ratio', case: `${label} ${c.name}`, threads, value: ours / theirs, unit: 'x llama.cpp', note: 'ours / llama.cpp, same GGUF, same run' });
  }
}

interface LlamaCase {
  samples: number[];
  info: LlamaBenchResult;
}

/** Models up to this share of the machine's memory alternate with llama-bench case by case (see interleave). */
const KEEP_LOADED_SHARE = 1 / 16;

async function compareWithLlama(rep: Reporter, opts: ModelRunOptions): Promise<void> {
  const exe = findLlamaBench(opts.llamaBench!);
  if (opts.model && !opts.model.endsWith('.gguf')) {
    throw new LlamaBenchError(`--llama-bench runs on a .gguf file; ${opts.model} is not one (write one with: yi convert ${opts.model} model.gguf --type q8_0)`);
  }
  if (opts.model && opts.type) {
    throw new LlamaBenchError(`--type with --model and --llama-bench would time different weights on each side; convert the file instead (yi convert ${opts.model} out.gguf --type ${opts.type})`);
  }
  const prompts = promptList(opts.prompts);
  const batch = Math.max(1, ...prompts, ...(opts.decodeBatches ?? []));
  const contextLength = contextNeeded({ promptTokens: prompts, genTokens: opts.gen, decodeBatches: opts.decodeBatches });
  const rounds = opts.rounds ?? 2;
  const info = opts.onInfo ?? (() => {});

  let file = opts.model;
  if (!file) {
    const mix = isMixPresetType(opts.type) ? opts.type : undefined;
    const type = mix ?? parsePresetType(opts.type);
    const rt = await Runtime.create({});
    try {
      const onWrite = (p: string) => info(`writing the ${opts.preset} ${type} model (random weights) to ${p}; later runs reuse it`);
      file = mix ? (await presetMixGGUF(rt, { preset: opts.preset!, type: mix, cacheDir: opts.cacheDir, onWrite })).path : presetGGUF(rt, { preset: opts.preset!, type: parsePresetType(opts.type), cacheDir: opts.cacheDir, onWrite }).path;
    } finally {
      await rt.close();
    }
  }
  const gguf = file;
  const label = opts.preset ?? basename(gguf, '.gguf');
  const perCase = (opts.interleave ?? (statSync(gguf).size <= totalmem() * KEEP_LOADED_SHARE ? 'case' : 'round')) === 'case';
  // The cases both sides run, as llama-bench names them; batched decode is ours only.
  const shared = [...prompts.map((p) => ({ prompts: [p], gen: 0 })), ...(opts.gen > 0 ? [{ prompts: [] as number[], gen: opts.gen }] : [])];

  let announced = false;
  for (const threads of opts.threads) {
    const ours = new Map<string, ModelCase>();
    const llama = new Map<string, LlamaCase>();
    let session: { rt: Runtime; model: YiModel } | undefined;
    const open = async () => {
      const rt = await Runtime.create({ threads });
      try {
        const model = loadModel(rt, gguf, { batch, contextLength, strict: opts.strict, check: opts.check, onMessage: opts.onMessage });
        session = { rt, model };
      } catch (e) {
        await rt.close();
        throw e;
      }
      if (!announced) {
        const m = machineFigure(rt.flavor);
        rep.add({ bench: 'machine', case: m.case, value: m.cores, unit: 'cores', note: m.note });
        announced = true;
      }
      return session;
    };
    const close = async () => {
      session?.model.dispose();
      await session?.rt.close();
      session = undefined;
    };
    const runOurs = (s: { model: YiModel }, o: { prompts: number[]; gen: number; decode?: readonly number[]; kinds?: ModelCase['kind'][] }) => {
      for (const c of measureModel(s.model, { promptTokens: o.prompts, genTokens: o.gen, decodeBatches: o.decode, reps: opts.reps, kinds: o.kinds })) {
        const prev = ours.get(c.name);
        if (prev) prev.rates.push(...c.rates);
        else ours.set(c.name, c);
      }
    };
    const runLlama = (o: { prompts: number[]; gen: number }, nThreads: number) => {
      for (const r of runLlamaBench(exe, { model: gguf, prompts: o.prompts, gen: o.gen, threads: nThreads, reps: opts.reps })) {
        const name = llamaCaseName(r);
        const prev = llama.get(name);
        if (prev) prev.samples.push(...r.samplesTs);
        else llama.set(name, { samples: [...r.samplesTs], info: r });
      }
    };
    try {
      let nThreads = 0;
      let typesLabel = '';
      for (let round = 0; round < rounds; round++) {
        const s = session ?? (await open());
        nThreads = s.rt.threads;
        typesLabel = weightTypesLabel(s.model.weights);
        const at = `threads ${nThreads}, round ${round + 1}/${rounds}`;
        if (perCase) {
          for (const c of shared) {
            const name = c.gen > 0 ? `tg${c.gen}` : `pp${c.prompts[0]}`;
            info(`${at}: ${name} yi-ts, then llama-bench`);
            runOurs(s, c);
            runLlama(c, nThreads);
          }
          if (opts.decodeBatches?.length) runOurs(s, { prompts: [], gen: opts.gen, decode: opts.decodeBatches, kinds: ['decode'] });
        } else {
          info(`${at}: yi-ts on ${gguf}`);
          runOurs(s, { prompts, gen: opts.gen, decode: opts.decodeBatches });
          await close();
          info(`${at}: llama-bench`);
          runLlama({ prompts, gen: opts.gen }, nThreads);
        }
      }
      addOurs(rep, `${label} ${typesLabel}`, nThreads, [...ours.values()], llama);
    } finally {
      await close();
    }
  }
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

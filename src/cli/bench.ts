// `yi bench`: the benchmark suite (kernels, runtime, tokenizer) as tables or JSON lines, or, with
// --model / --preset, a model's prompt-processing and generation speed like llama-bench, next to
// llama-bench itself with --llama-bench.
import type { Command } from 'commander';
import { reporter } from '../../bench/harness.js';
import { runModelBench } from '../../bench/model-run.js';
import { benchNames, runBenchmarks } from '../../bench/run.js';
import { loadKernelModule } from '../runtime/module.js';
import { intOption, ModelOptionError, parseType } from './model-options.js';

interface BenchCli {
  json?: boolean;
  quick?: boolean;
  only?: string;
  model?: string;
  preset?: string;
  type?: string;
  threads?: string;
  prompt: string;
  gen: string;
  decodeBatch?: string;
  reps: string;
  strict?: boolean;
  check?: boolean;
  llamaBench?: string;
  rounds: string;
  interleave?: string;
  cache?: string;
  llamaServer?: string;
}

function intList(name: string, v: string, min: number): number[] {
  const parts = v.split(',').filter((s) => s.trim() !== '');
  if (parts.length === 0) throw new ModelOptionError(`--${name} must be a comma-separated list of integers >= ${min}, got '${v}'`);
  return parts.map((p) => intOption(name, p.trim(), min)!);
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(`run the benchmarks (${benchNames.join(', ')}), or time a model with --model / --preset`)
    .option('--json', 'print one JSON object per figure per line')
    .option('--quick', 'smaller sizes and fewer runs')
    .option('--only <names>', 'comma-separated benchmark names')
    .option('-m, --model <path>', 'time this model (Hugging Face folder or .gguf)')
    .option('--preset <name>', 'time a random-weight model of a preset shape (yi-6b, yi-174m, tiny, ...)')
    .option('--type <dtype>', 'weights: f32, f16, bf16, q8_0, q4_0 (presets: default q8_0; with --llama-bench also q4_k_m, q5_k_m, q6_k ..., made by yi quantize; --model: in memory)')
    .option('-t, --threads <list>', 'thread counts, comma-separated (default: one per core)')
    .option('--prompt <list>', 'prompt tokens, one pp case each (e.g. 128,512; 0 for none)', '128')
    .option('--gen <n>', 'generated tokens (tg)', '64')
    .option('--decode-batch <list>', 'batched decode: tokens per forward step, one case each (e.g. 2,4,8,16)')
    .option('--reps <n>', 'repetitions (the median is reported)', '3')
    .option('--llama-bench <path>', "run llama.cpp's llama-bench on the same GGUF in the same run and print ours / llama.cpp")
    .option('--rounds <n>', 'with --llama-bench: rounds of (ours, llama-bench) per thread count', '2')
    .option('--interleave <how>', 'with --llama-bench: case (ours then llama-bench per case) or round (all ours, then llama-bench); default: case unless the model is large')
    .option('--llama-server <url>', 'with --only serve: send the same load to this running llama-server')
    .option('--cache <dir>', 'with --llama-bench and --preset: folder of the preset GGUF files (default ~/.cache/yi-ts/bench)')
    .option('--strict', 'refuse a --model with tensors the model does not read (default: warn)')
    .option('--check', 'scan the --model weights for NaN and infinite values while loading')
    .action(async (o: BenchCli) => {
      if (!o.model && !o.preset) {
        if (o.llamaBench) throw new ModelOptionError('--llama-bench needs --model FILE.gguf or --preset NAME');
        if (!o.json) console.log(`kernels: ${loadKernelModule().flavor}`);
        await runBenchmarks({ json: o.json, quick: o.quick, only: o.only?.split(',').filter(Boolean), llamaServer: o.llamaServer });
        return;
      }
      if (o.model && o.preset) throw new ModelOptionError('give --model or --preset, not both');
      // A preset with --llama-bench takes the GGUF writer's types (checked there); the rest, the loader's.
      if (!(o.preset && o.llamaBench)) parseType(o.type);
      if (o.interleave !== undefined && o.interleave !== 'case' && o.interleave !== 'round') throw new ModelOptionError(`--interleave must be case or round, got '${o.interleave}'`);
      const rep = reporter(!!o.json);
      await runModelBench(rep, {
        model: o.model,
        preset: o.preset,
        type: o.type,
        threads: o.threads ? intList('threads', o.threads, 1) : [undefined],
        prompts: intList('prompt', o.prompt, 0),
        gen: intOption('gen', o.gen, 0)!,
        decodeBatches: o.decodeBatch ? intList('decode-batch', o.decodeBatch, 1) : undefined,
        reps: intOption('reps', o.reps, 1)!,
        strict: o.strict,
        check: o.check,
        llamaBench: o.llamaBench,
        rounds: intOption('rounds', o.rounds, 1),
        interleave: o.interleave as 'case' | 'round' | undefined,
        cacheDir: o.cache,
        onInfo: (m) => process.stderr.write(`${m}\n`),
      });
      rep.flush(o.json ? undefined : `kernels: ${loadKernelModule().flavor}`);
    });
}

// `yi bench`: the benchmark suite (kernels, runtime, tokenizer) as tables or JSON lines, or, with
// --model / --preset, a model's prompt-processing and generation speed like llama-bench.
import type { Command } from 'commander';
import { reporter } from '../../bench/harness.js';
import { benchModel } from '../../bench/model.js';
import { benchNames, runBenchmarks } from '../../bench/run.js';
import { preset } from '../model/config.js';
import { loadModel } from '../model/load.js';
import { YiModel } from '../model/model.js';
import { loadKernelModule } from '../runtime/module.js';
import { Runtime } from '../runtime/runtime.js';
import { intOption, parseType } from './model-options.js';

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
  reps: string;
  strict?: boolean;
  check?: boolean;
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
    .option('--type <dtype>', 'weights in memory: f32, f16, bf16, q8_0, q4_0 (presets: default q8_0)')
    .option('-t, --threads <list>', 'thread counts, comma-separated (default: one per core)')
    .option('--prompt <n>', 'prompt tokens (pp)', '128')
    .option('--gen <n>', 'generated tokens (tg)', '64')
    .option('--reps <n>', 'repetitions (the median is reported)', '3')
    .option('--strict', 'refuse a --model with tensors the model does not read (default: warn)')
    .option('--check', 'scan the --model weights for NaN and infinite values while loading')
    .action(async (o: BenchCli) => {
      if (!o.model && !o.preset) {
        if (!o.json) console.log(`kernels: ${loadKernelModule().flavor}`);
        await runBenchmarks({ json: o.json, quick: o.quick, only: o.only?.split(',').filter(Boolean) });
        return;
      }
      const rep = reporter(!!o.json);
      const threadList = o.threads ? o.threads.split(',').map((t) => intOption('threads', t, 1)!) : [undefined];
      for (const threads of threadList) {
        const rt = await Runtime.create({ threads });
        try {
          const model = o.model
            ? loadModel(rt, o.model, { dtype: parseType(o.type), batch: 128, strict: o.strict, check: o.check })
            : YiModel.random(rt, preset(o.preset!), parseType(o.type) ?? 'q8_0', 1, { contextLength: 1024, batch: 128 });
          benchModel(rep, model, {
            label: o.model ?? o.preset!,
            promptTokens: intOption('prompt', o.prompt, 0),
            genTokens: intOption('gen', o.gen, 0),
            reps: intOption('reps', o.reps, 1),
          });
          model.dispose();
        } finally {
          await rt.close();
        }
      }
      rep.flush(o.json ? undefined : `kernels: ${loadKernelModule().flavor}`);
    });
}

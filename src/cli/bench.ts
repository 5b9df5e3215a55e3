// `yi bench`: the benchmark suite (kernels, runtime) as tables or JSON lines.
import type { Command } from 'commander';
import { benchNames, runBenchmarks } from '../../bench/run.js';
import { loadKernelModule } from '../runtime/module.js';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(`run the benchmarks (${benchNames.join(', ')}) and print a table per benchmark`)
    .option('--json', 'print one JSON object per figure per line')
    .option('--quick', 'smaller sizes and fewer runs')
    .option('--only <names>', 'comma-separated benchmark names')
    .action(async (o: { json?: boolean; quick?: boolean; only?: string }) => {
      if (!o.json) console.log(`kernels: ${loadKernelModule().flavor}`);
      await runBenchmarks({ json: o.json, quick: o.quick, only: o.only?.split(',').filter(Boolean) });
    });
}

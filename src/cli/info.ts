// `yi info`: what this machine and build offer (threads, kernel flavor); with -m, what a checkpoint
// holds, checked as the model commands check it on load (--strict, --check mean what they mean there).
import type { Command } from 'commander';
import { availableParallelism } from 'node:os';
import { inspectModel, type ModelInfo } from '../model/inspect.js';
import { loadKernelModule } from '../runtime/module.js';
import { ModelOptionError } from './model-options.js';

interface InfoCli {
  json?: boolean;
  model?: string;
  strict?: boolean;
  check?: boolean;
}

function modelLines(m: ModelInfo): Record<string, string | number> {
  const c = m.config;
  return {
    model: `${m.path} (${m.format})`,
    layers: c.layers,
    hidden: c.hidden,
    heads: `${c.heads} (kv ${c.kvHeads}, dim ${c.headDim})`,
    ffn: c.ffn,
    vocab: c.vocabSize,
    positions: `${c.maxPositions} (rope theta ${c.ropeTheta})`,
    parameters: `${(m.parameters / 1e6).toFixed(2)} M (${(m.bytes / 2 ** 20).toFixed(1)} MiB as stored)`,
    weights: Object.entries(m.tensorTypes).map(([t, n]) => `${n} ${t}`).join(', '),
    unused: m.unused.length ? `${m.unused.length} tensors (not read)` : 'none',
    checked: m.checked ? 'every weight finite (--check)' : 'not scanned for NaN/Inf (--check does)',
  };
}

export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('show the kernel module in use and the default thread count; with -m, what a checkpoint holds')
    .option('--json', 'print as JSON')
    .option('-m, --model <path>', 'a Hugging Face model folder or a .gguf file to describe and check')
    .option('--strict', 'with -m: refuse a checkpoint with tensors the model does not read (default: warn), as the model commands do')
    .option('--check', 'with -m: scan every weight for NaN and infinite values, as the model commands do')
    .action((o: InfoCli) => {
      if ((o.strict || o.check) && !o.model) throw new ModelOptionError('--strict and --check describe a checkpoint: give it with -m');
      const km = loadKernelModule();
      const info: Record<string, unknown> = {
        node: process.version,
        kernels: km.flavor,
        kernelCount: km.kernelNames.length,
        threads: process.env.YI_THREADS ? Number(process.env.YI_THREADS) : availableParallelism(),
      };
      const m = o.model ? inspectModel(o.model, { strict: o.strict, check: o.check }) : undefined;
      if (o.json) console.log(JSON.stringify(m ? { ...info, model: m } : info));
      else for (const [k, v] of Object.entries({ ...info, ...(m && modelLines(m)) })) console.log(`${k.padEnd(12)} ${v}`);
    });
}

// `yi lora merge --model BASE --adapter DIR --out DIR`: a PEFT LoRA adapter folded into its base model
// (src/sft/merge.ts), written as a complete Hugging Face folder that every model command loads.
import type { Command } from 'commander';
import { mergeLoraAdapter } from '../sft/merge.js';
import { bar, StatusLine } from './status-line.js';

interface MergeCliOptions {
  model: string;
  adapter: string;
  out: string;
  quiet?: boolean;
}

export function registerLora(program: Command): void {
  const lora = program.command('lora').description('LoRA adapters (PEFT folders): merge one into its base model');
  lora
    .command('merge')
    .description("fold a LoRA adapter into its base, W + (alpha / r) B A, as PEFT's merge_and_unload; writes a full Hugging Face folder")
    .requiredOption('-m, --model <dir>', 'the base model: a Hugging Face folder (config.json + safetensors)')
    .requiredOption('--adapter <dir>', 'the adapter folder (adapter_config.json + adapter_model.safetensors)')
    .requiredOption('-o, --out <dir>', 'the merged model folder (replaced only once complete)')
    .option('--quiet', 'no progress on stderr')
    .action((o: MergeCliOptions) => {
      const status = new StatusLine();
      const res = mergeLoraAdapter({
        model: o.model,
        adapter: o.adapter,
        out: o.out,
        onProgress: o.quiet
          ? undefined
          : (done, total, name) => {
              if (status.tty) status.update(`${bar(done / total)} ${done}/${total} ${name}`, done === total);
            },
      });
      status.done();
      if (!o.quiet) process.stderr.write(`merged ${res.merged} projections (scale ${res.scale}) of ${res.tensors} tensors into ${res.out}\n`);
    });
}

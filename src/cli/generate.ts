// `yi generate`: continue a prompt, streaming the text to stdout; speeds on stderr.
import type { Command } from 'commander';
import { generate } from '../model/generate.js';
import { weightTypesLabel } from '../model/weight-types.js';
import { addModelOptions, loadForCli, type ModelCliOptions } from './model-options.js';
import { addSamplingOptions, samplingFromCli, type SamplingCliOptions } from './sampling-options.js';

export function registerGenerate(program: Command): void {
  const cmd = program.command('generate').description('continue a prompt (streams the generated text)');
  addModelOptions(cmd);
  addSamplingOptions(cmd)
    .requiredOption('-p, --prompt <text>', 'the prompt (special tokens such as <|im_start|> are recognised)')
    .option('--quiet', 'print only the generated text')
    .action(async (o: ModelCliOptions & SamplingCliOptions & { prompt: string; quiet?: boolean }) => {
      const sampling = samplingFromCli(o); // bad flags fail before the model loads
      const { rt, model, tokenizer, loadSeconds } = await loadForCli(o, { quiet: o.quiet });
      try {
        if (!o.quiet) process.stderr.write(`${o.model}: ${model.config.layers} layers, ${weightTypesLabel(model.weights)} weights, ${rt.threads} threads (${rt.flavor}), loaded in ${loadSeconds.toFixed(1)} s\n`);
        process.stdout.write(o.prompt);
        const r = generate(model, tokenizer, o.prompt, { ...sampling, onText: (t) => process.stdout.write(t) });
        process.stdout.write('\n');
        if (!o.quiet) {
          const gen = r.tokens.length;
          process.stderr.write(
            `prompt: ${r.promptTokens} tokens, ${(r.promptTokens / r.promptSeconds).toFixed(1)} tokens/s; ` +
              `generated: ${gen} tokens, ${gen ? (gen / r.generateSeconds).toFixed(1) : '0'} tokens/s; stopped by ${r.finishReason}\n`,
          );
        }
      } finally {
        await rt.close();
      }
    });
}

// `yi generate`: continue a prompt, streaming the text to stdout; speeds on stderr. Ctrl-C stops it
// where it is, during the prompt too (generateAsync yields between prompt chunks and tokens), and it
// ends with a message and the shell's code for Ctrl-C; a second Ctrl-C quits at once.
import type { Command } from 'commander';
import { generateAsync, type GenerateResult } from '../model/generate.js';
import { weightTypesLabel } from '../model/weight-types.js';
import { addModelOptions, loadForCli, type ModelCliOptions } from './model-options.js';
import { addSamplingOptions, samplingFromCli, type SamplingCliOptions } from './sampling-options.js';

/** The line `yi generate` prints when Ctrl-C stopped it. */
export function interruptedMessage(r: GenerateResult): string {
  if (r.promptDone < r.promptTokens) return `stopped by Ctrl-C during the prompt (${r.promptDone} of ${r.promptTokens} tokens read); nothing generated`;
  return `stopped by Ctrl-C after ${r.tokens.length} generated token${r.tokens.length === 1 ? '' : 's'}`;
}

export function registerGenerate(program: Command): void {
  const cmd = program.command('generate').description('continue a prompt (streams the generated text; Ctrl-C stops it)');
  addModelOptions(cmd);
  addSamplingOptions(cmd)
    .requiredOption('-p, --prompt <text>', 'the prompt (special tokens such as <|im_start|> are recognised)')
    .option('--quiet', 'print only the generated text')
    .action(async (o: ModelCliOptions & SamplingCliOptions & { prompt: string; quiet?: boolean }) => {
      const sampling = samplingFromCli(o); // bad flags fail before the model loads
      const { rt, model, tokenizer, loadSeconds } = await loadForCli(o, { quiet: o.quiet });
      const stop = new AbortController();
      const onInterrupt = () => {
        if (stop.signal.aborted) process.exit(130);
        stop.abort();
      };
      process.on('SIGINT', onInterrupt);
      try {
        if (!o.quiet) process.stderr.write(`${o.model}: ${model.config.layers} layers, ${weightTypesLabel(model.weights)} weights, ${rt.threads} threads (${rt.flavor}), loaded in ${loadSeconds.toFixed(1)} s\n`);
        process.stdout.write(o.prompt);
        const r = await generateAsync(model, tokenizer, o.prompt, { ...sampling, signal: stop.signal, onText: (t) => process.stdout.write(t) });
        process.stdout.write('\n');
        if (r.finishReason === 'aborted') {
          process.stderr.write(`${interruptedMessage(r)}\n`);
          process.exitCode = 130; // the shell's code for "ended by Ctrl-C"
        } else if (!o.quiet) {
          const gen = r.tokens.length;
          process.stderr.write(
            `prompt: ${r.promptTokens} tokens, ${(r.promptTokens / r.promptSeconds).toFixed(1)} tokens/s; ` +
              `generated: ${gen} tokens, ${gen ? (gen / r.generateSeconds).toFixed(1) : '0'} tokens/s; stopped by ${r.finishReason}\n`,
          );
        }
      } finally {
        process.off('SIGINT', onInterrupt);
        await rt.close();
      }
    });
}

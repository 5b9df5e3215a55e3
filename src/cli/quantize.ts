// `yi quantize --model IN --type TYPE --out OUT.gguf`: a GGUF or Hugging Face folder in, a GGUF out
// with llama-quantize's per-tensor types (src/model/quantize.ts). A progress bar on a terminal (one
// line per tensor otherwise); the output appears only when complete (written to a temporary file,
// then renamed).
import { InvalidArgumentError, type Command } from 'commander';
import { QUANTIZE_TYPES, quantizeCheckpoint, type QuantizeType } from '../model/quantize.js';
import { bar, duration, StatusLine } from './status-line.js';

function parseType(v: string): QuantizeType {
  const t = v.toLowerCase();
  if (!(QUANTIZE_TYPES as readonly string[]).includes(t)) throw new InvalidArgumentError(`expected one of ${QUANTIZE_TYPES.join(', ')}`);
  return t as QuantizeType;
}

export function registerQuantize(program: Command): void {
  program
    .command('quantize')
    .description("quantize a checkpoint to GGUF with llama.cpp's per-tensor choices (Q4_K_M: Q4_K, Q6_K for the output and some attn_v / ffn_down)")
    .requiredOption('-m, --model <path>', 'a Hugging Face model folder or a .gguf file')
    .requiredOption('--type <type>', `file type: ${QUANTIZE_TYPES.join(', ')}`, parseType)
    .requiredOption('-o, --out <file>', 'the output .gguf file (replaced only once complete)')
    .option('--name <name>', 'general.name of the output')
    .option('--quiet', 'no progress on stderr')
    .option('--strict', 'refuse an input with tensors a Llama/Yi model does not read (default: leave them out, with a warning)')
    .action(async (o: { model: string; type: QuantizeType; out: string; name?: string; quiet?: boolean; strict?: boolean }) => {
      const status = new StatusLine();
      const t0 = performance.now();
      const res = await quantizeCheckpoint(o.model, o.out, {
        type: o.type,
        ...(o.name ? { name: o.name } : {}),
        strict: o.strict,
        onProgress: o.quiet
          ? undefined
          : (done, total, tensor) => {
              const text = `${bar(done / total)} ${done}/${total} ${tensor}`;
              if (status.tty) status.update(text, done === total);
              else process.stderr.write(`${done}/${total} ${tensor}\n`);
            },
      });
      status.done();
      for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
      console.log(`wrote ${res.output} (GGUF, ${res.type}, ${res.tensors} tensors${res.tokenizer ? ', tokenizer' : ''}) in ${duration((performance.now() - t0) / 1000)}`);
    });
}

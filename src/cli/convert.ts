// `yi convert <input> <output> [--type ...]`: a Hugging Face folder or a .gguf file in; a .gguf file
// (output ending in .gguf) or a Hugging Face folder out. Progress (tensors done / total) on stderr.
import { InvalidArgumentError, type Command } from 'commander';
import { CONVERT_TYPES, convertCheckpoint, type ConvertType } from '../model/convert.js';

function parseType(v: string): ConvertType {
  if (!(CONVERT_TYPES as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${CONVERT_TYPES.join(', ')}`);
  return v as ConvertType;
}

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('convert a checkpoint between a Hugging Face folder and GGUF (output ending in .gguf: GGUF; else a folder)')
    .argument('<input>', 'a Hugging Face model folder or a .gguf file')
    .argument('<output>', 'a .gguf file, or a folder for Hugging Face safetensors + config + tokenizer files')
    .option('--type <type>', `weight encoding: ${CONVERT_TYPES.join(', ')} (q8_0/q4_0: GGUF only; default: the input's)`, parseType)
    .option('--name <name>', 'general.name of a GGUF output')
    .option('--quiet', 'no progress on stderr')
    .option('--strict', 'refuse an input with tensors a Llama/Yi model does not read (default: leave them out, with a warning)')
    .action(async (input: string, output: string, o: { type?: ConvertType; name?: string; quiet?: boolean; strict?: boolean }) => {
      const tty = process.stderr.isTTY;
      const res = await convertCheckpoint(input, output, {
        ...(o.type ? { type: o.type } : {}),
        ...(o.name ? { name: o.name } : {}),
        strict: o.strict,
        onProgress: o.quiet
          ? undefined
          : (done, total, tensor) => {
              const line = `tensors ${done}/${total} ${tensor}`;
              if (tty) process.stderr.write(`\r\x1b[K${line}${done === total ? '\n' : ''}`);
              else process.stderr.write(line + '\n');
            },
      });
      for (const w of res.warnings) process.stderr.write(`warning: ${w}\n`);
      console.log(`wrote ${res.output} (${res.format === 'gguf' ? 'GGUF' : 'Hugging Face folder'}, ${res.type}, ${res.tensors} tensors${res.tokenizer ? ', tokenizer' : ''})`);
    });
}

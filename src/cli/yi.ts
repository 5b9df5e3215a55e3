#!/usr/bin/env node
// The `yi` command: one file per subcommand, each a thin shell over the library.
import { Command, CommanderError } from 'commander';
import { registerBench } from './bench.js';
import { registerChat } from './chat.js';
import { registerGenerate } from './generate.js';
import { registerConvert } from './convert.js';
import { registerEval } from './eval.js';
import { registerQuantize } from './quantize.js';
import { registerData } from './data.js';
import { registerInfo } from './info.js';
import { registerTokenize } from './tokenize.js';
import { registerTokenizer } from './tokenizer.js';
import { registerPretrain } from './pretrain.js';
import { registerSft } from './sft.js';
import { registerCorpus } from './corpus.js';
import { registerRecipe } from './recipe.js';
import { registerServe } from './serve.js';
import { registerLora } from './lora.js';

const program = new Command()
  .name('yi')
  .description('The Yi recipe in TypeScript: kernels, models, data, training and serving')
  .version('0.1.0')
  .showHelpAfterError()
  .exitOverride();

registerBench(program);
registerConvert(program);
registerQuantize(program);
registerEval(program);
registerInfo(program);
registerGenerate(program);
registerChat(program);
registerServe(program);
registerTokenizer(program);
registerPretrain(program);
registerSft(program);
registerCorpus(program);
registerRecipe(program);
registerTokenize(program);
registerData(program);
registerLora(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  // A user-facing one-line error, never a stack trace (set YI_DEBUG=1 for the trace).
  console.error(`yi: ${(e as Error).message ?? e}`);
  if (process.env.YI_DEBUG) console.error(e);
  process.exit(1);
}

// `yi corpus export NAME --out FILE`: writes a corpus bundled through npm as JSONL ({"id", "text", ...metadata}),
// the input format of `yi tokenizer train`, `yi tokenize` and `yi data run`.
import type { Command } from 'commander';
import { BUNDLED_CORPORA, exportCorpus } from '../data/corpora/index.js';

export function registerCorpus(program: Command): void {
  const cmd = program.command('corpus').description('corpora bundled through npm, for demos and tests');
  cmd
    .command('list')
    .description('list the bundled corpora')
    .action(() => {
      for (const [k, v] of Object.entries(BUNDLED_CORPORA)) console.log(`${k}\t${v.describe}`);
    });
  cmd
    .command('export <name>')
    .description('write a bundled corpus as JSONL')
    .requiredOption('--out <file>', 'output .jsonl file')
    .action(async (name: string, o: { out: string }) => {
      const n = await exportCorpus(name, o.out);
      console.log(`wrote ${n} documents to ${o.out}`);
    });
}

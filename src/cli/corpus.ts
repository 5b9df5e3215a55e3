// `yi corpus export NAME --out FILE`: writes a corpus bundled through npm as JSONL ({"id", "text", ...metadata}),
// the input format of `yi tokenizer train`, `yi tokenize` and `yi data run`.
import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { rename } from 'node:fs/promises';
import { brownDocuments } from '../data/corpora/brown.js';
import type { Doc } from '../data/types.js';

export const BUNDLED_CORPORA: Record<string, { describe: string; documents: () => Iterable<Doc> }> = {
  brown: { describe: 'the Brown corpus (500 texts of 1961 American English, 15 genres), untagged', documents: () => brownDocuments() },
};

/** Writes a bundled corpus as JSONL (temp file + rename); returns the number of documents. */
export async function exportCorpus(name: string, out: string): Promise<number> {
  const c = BUNDLED_CORPORA[name];
  if (!c) throw new Error(`unknown corpus '${name}' (known: ${Object.keys(BUNDLED_CORPORA).join(', ')})`);
  const tmp = `${out}.tmp-${process.pid}`;
  const ws = createWriteStream(tmp);
  let n = 0;
  for (const d of c.documents()) {
    if (!ws.write(JSON.stringify({ id: d.id, text: d.text, ...d.metadata }) + '\n')) await new Promise<void>((r) => ws.once('drain', () => r()));
    n++;
  }
  await new Promise<void>((resolve, reject) => ws.end((e?: Error | null) => (e ? reject(e) : resolve())));
  await rename(tmp, out);
  return n;
}

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

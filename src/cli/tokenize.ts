// `yi tokenize`: a corpus to a token dataset (dataset.json + train/val shards) for pretraining.
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { DEFAULT_SHARD_TOKENS, DEFAULT_VAL_FRACTION, defaultTokenizeThreads, tokenizeCorpus } from '../train/tokenize.js';

function num(v: string, flag: string, check: (n: number) => boolean, expected: string): number {
  const n = Number(v);
  if (v.trim() === '' || !check(n)) throw new Error(`${flag} must be ${expected} (got '${v}')`);
  return n;
}

const human = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));

export function registerTokenize(program: Command): void {
  program
    .command('tokenize')
    .description('encode a corpus into token shards for pretraining (dataset.json + train-NNNNN.tok, val-NNNNN.tok)')
    .requiredOption('--tokenizer <path>', 'tokenizer.model, tokenizer.json, a Hugging Face folder or a .gguf file')
    .requiredOption('--input <files...>', 'corpus files or folders: .jsonl (.gz/.zst) with a text field, .parquet, .txt/.md (one document per file)')
    .requiredOption('--out <dir>', 'output folder (new or empty, unless --resume)')
    .option('--val-fraction <f>', 'fraction of documents for the validation split (by a hash of the text)', String(DEFAULT_VAL_FRACTION))
    .option('--field <name>', 'text field of JSONL records / column of Parquet files', 'text')
    .option('--shard-tokens <n>', 'tokens per shard at most (a longer document gets a shard of its own)', String(DEFAULT_SHARD_TOKENS))
    .option('--threads <n>', 'encoding threads (1 = no worker threads)', String(defaultTokenizeThreads()))
    .option('--bos', 'start every document with BOS (default: no BOS, as Yi\'s base tokenizer; EOS always ends a document)')
    .option('--resume', 'continue an unfinished run in --out after its last finished shard')
    .option('--no-progress', 'no progress bar')
    .action(async (o: { tokenizer: string; input: string[]; out: string; valFraction: string; field: string; shardTokens: string; threads: string; bos?: boolean; resume?: boolean; progress: boolean }) => {
      const valFraction = num(o.valFraction, '--val-fraction', (n) => n >= 0 && n < 1, 'a number in [0, 1)');
      const shardTokens = num(o.shardTokens, '--shard-tokens', (n) => Number.isSafeInteger(n) && n >= 1, 'a positive integer');
      const threads = num(o.threads, '--threads', (n) => Number.isSafeInteger(n) && n >= 1, 'a positive integer');
      const bar = o.progress && process.stderr.isTTY
        ? new SingleBar({ format: 'tokenize {bar} {value}/{total} files | {docs} docs {docRate} docs/s | {tokens} tokens | {mbs} MB/s | {shards} shards', hideCursor: true })
        : undefined;
      bar?.start(1, 0, { docs: 0, docRate: 0, tokens: 0, mbs: '0.0', shards: 0 });
      let result;
      try {
        result = await tokenizeCorpus({
          tokenizer: o.tokenizer,
          inputs: o.input,
          out: o.out,
          field: o.field,
          valFraction,
          shardTokens,
          threads,
          addBos: !!o.bos,
          resume: !!o.resume,
          onProgress: bar
            ? (p) => {
                bar.setTotal(p.files);
                bar.update(p.filesDone, {
                  docs: human(p.inputDocuments),
                  docRate: human(Math.round(p.documents / Math.max(p.seconds, 1e-3))),
                  tokens: human(p.tokens),
                  mbs: (p.bytes / 1e6 / Math.max(p.seconds, 1e-3)).toFixed(1),
                  shards: p.shards,
                });
              }
            : undefined,
        });
      } finally {
        bar?.stop();
      }
      const { meta, progress: p } = result;
      if (result.alreadyComplete) console.log(`${o.out}: already complete`);
      else console.log(`encoded ${p.documents} documents, ${p.tokens} tokens, ${(p.bytes / 1e6).toFixed(1)} MB in ${p.seconds.toFixed(1)} s (${(p.bytes / 1e6 / Math.max(p.seconds, 1e-3)).toFixed(1)} MB/s)${result.resumed ? ', resumed' : ''}`);
      for (const s of ['train', 'val'] as const) {
        const e = meta.splits[s];
        console.log(`${s}: ${e.tokens} tokens, ${e.documents} documents, ${e.shards.length} shards`);
      }
      console.log(`wrote ${o.out}/dataset.json (${meta.dtype}, vocabulary ${meta.vocabSize}, eos ${meta.eosId}${meta.addBos ? `, bos ${meta.bosId} added` : ''})`);
    });
}

// `npm run bench [-- --json] [-- --quick] [-- --only gemm,gemv]`: every benchmark, as tables or JSON lines.
import { fileURLToPath } from 'node:url';
import { benchDedup } from './dedup.js';
import { benchDispatch } from './dispatch.js';
import { benchGemm } from './gemm.js';
import { benchGemv } from './gemv.js';
import { reporter, type Reporter } from './harness.js';
import { benchTokenizer, benchTokenizerTrain } from './tokenizer.js';

export interface BenchOptions {
  /** One JSON object per figure per line instead of tables. */
  json?: boolean;
  /** Smaller sizes and fewer runs (a smoke test of the benchmarks themselves). */
  quick?: boolean;
  /** Names of the benchmarks to run (default: all). */
  only?: string[];
  out?: (line: string) => void;
}

type Bench = (rep: Reporter, opts: { quick?: boolean }) => Promise<void>;

const benches: Record<string, { title: string; run: Bench }> = {
  gemm: { title: 'f32 GEMM (prefill and training)', run: benchGemm },
  gemv: { title: 'GEMV (decode): weight bytes read per second, next to the read bandwidth', run: benchGemv },
  dispatch: { title: 'Thread-pool dispatch', run: benchDispatch },
  tokenizer: { title: 'Tokenizer (SentencePiece BPE)', run: benchTokenizer },
  'tokenizer-train': { title: 'Tokenizer training (BPE, Yi options) vs spm_train', run: benchTokenizerTrain },
  dedup: { title: 'Deduplication and clustering (one core, timed in CPU seconds)', run: benchDedup },
};

export const benchNames = Object.keys(benches);

export async function runBenchmarks(opts: BenchOptions = {}): Promise<void> {
  const rep = reporter(!!opts.json, opts.out);
  const names = opts.only?.length ? opts.only : benchNames;
  for (const n of names) {
    if (!benches[n]) throw new Error(`unknown benchmark '${n}' (known: ${benchNames.join(', ')})`);
  }
  for (const n of names) {
    const b = benches[n]!;
    await b.run(rep, { quick: opts.quick });
    rep.flush(b.title);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const onlyAt = argv.indexOf('--only');
  await runBenchmarks({
    json: argv.includes('--json'),
    quick: argv.includes('--quick'),
    only: onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : undefined,
  });
}

// `npm run bench [-- --json] [-- --quick] [-- --only gemm,gemv] [-- --torch-python PATH] [-- --llama-server URL]`: every benchmark, as tables or JSON lines.
import { fileURLToPath } from 'node:url';
import { benchDataPipeline } from './data-pipeline.js';
import { benchDataFilters } from './data-filters.js';
import { benchDedup } from './dedup.js';
import { benchDispatch } from './dispatch.js';
import { benchGemm } from './gemm.js';
import { benchGemv } from './gemv.js';
import { benchQgemm } from './qgemm.js';
import { benchKgemm } from './kgemm.js';
import { reporter, type Reporter } from './harness.js';
import { benchTokenize } from './tokenize.js';
import { benchScorers } from './scorers.js';
import { benchServeEngine } from './serve-engine.js';
import { benchServe } from './serve.js';
import { benchSft } from './sft.js';
import { benchSftMemory } from './lora-memory.js';
import { benchTokenizer, benchTokenizerTrain } from './tokenizer.js';
import { benchTrain } from './train.js';
import { benchTrainKernels } from './train-kernels.js';

export interface BenchOptions {
  /** One JSON object per figure per line instead of tables. */
  json?: boolean;
  /** Smaller sizes and fewer runs (a smoke test of the benchmarks themselves). */
  quick?: boolean;
  /** Names of the benchmarks to run (default: all). */
  only?: string[];
  /** Python with PyTorch for the training baseline (else YI_TORCH_PYTHON, else python3 on PATH). */
  torchPython?: string;
  /** An OpenAI-compatible server (llama-server) the serve benchmark also loads. */
  llamaServer?: string;
  out?: (line: string) => void;
}

type Bench = (rep: Reporter, opts: { quick?: boolean; torchPython?: string; llamaServer?: string }) => Promise<void>;

const benches: Record<string, { title: string; run: Bench }> = {
  gemm: { title: 'f32 GEMM (prefill and training)', run: benchGemm },
  gemv: { title: 'GEMV (decode): weight bytes read per second, next to the read bandwidth', run: benchGemv },
  qgemm: { title: 'Quantized GEMM (prompt processing, batched decode): GOP/s by tokens M, next to the previous kernel', run: benchQgemm },
  kgemm: { title: 'Batched kx4 products (every k-type, 2..64 tokens): time per token vs one matvec, and vs the f32-panel path', run: benchKgemm },
  dispatch: { title: 'Thread-pool dispatch', run: benchDispatch },
  'train-kernels': { title: 'Training kernels (backward, loss, AdamW) at hidden 256 on 4096 tokens', run: benchTrainKernels },
  tokenizer: { title: 'Tokenizer (SentencePiece BPE)', run: benchTokenizer },
  'tokenizer-train': { title: 'Tokenizer training (BPE, Yi options) vs spm_train', run: benchTokenizerTrain },
  tokenize: { title: 'yi tokenize (corpus -> token shards) and packed batches', run: benchTokenize },
  train: { title: 'Training step (forward + backward + AdamW) vs PyTorch on CPU', run: benchTrain },
  sft: { title: 'SFT step on packed chat rows (full finetuning, LoRA, LoRA on Q4_0) vs PyTorch on CPU', run: benchSft },
  'sft-memory': { title: 'Peak memory of a finetuning step: full vs LoRA vs LoRA on Q8_0 / Q4_0 (recipe model, 1B shape)', run: benchSftMemory },
  'data-pipeline': { title: 'Data pipeline executor (trivial stage): documents and MB per second', run: benchDataPipeline },
  'data-filters': { title: 'Data cleaning: per-document stages, the Gopher+C4+FineWeb chain, language id', run: benchDataFilters },
  scorers: { title: 'Learned data scorers (perplexity, quality, coherence, safety) on the bundled reference text, one core', run: benchScorers },
  dedup: { title: 'Deduplication and clustering (one core, timed in CPU seconds)', run: benchDedup },
  'serve-engine': { title: 'Serving engine: concurrent requests, aggregate tokens/s, TTFT and time per output token', run: benchServeEngine },
  serve: { title: 'yi serve under load (streamed completions on loopback)', run: benchServe },
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
    await b.run(rep, { quick: opts.quick, torchPython: opts.torchPython, llamaServer: opts.llamaServer });
    rep.flush(b.title);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const onlyAt = argv.indexOf('--only');
  const torchAt = argv.indexOf('--torch-python');
  const llamaAt = argv.indexOf('--llama-server');
  await runBenchmarks({
    llamaServer: llamaAt >= 0 ? argv[llamaAt + 1] : undefined,
    torchPython: torchAt >= 0 ? argv[torchAt + 1] : undefined,
    json: argv.includes('--json'),
    quick: argv.includes('--quick'),
    only: onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : undefined,
  });
}

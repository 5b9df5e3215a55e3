// The quality cost of the int8 KV cache: perplexity of a model on a text with the serving step's
// f32 paged cache and with its int8 one (`node dist/bench/kv-int8-perplexity.js --model M.gguf
// --text validation.txt [--ctx 512] [--chunks 16]`). The text is cut into chunks of --ctx tokens
// (each starting with BOS); all chunks run side by side through the batched step, one token per
// chunk per step (teacher forcing, so every position reads the cache), and the second half of each
// chunk is scored, as llama.cpp's perplexity tool does.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../src/model/load.js';
import { Runtime } from '../src/runtime/runtime.js';
import { YiBatchRunner } from '../src/serve/batch-step.js';
import { serveModelOptions } from '../src/serve/create-engine.js';
import type { KVType } from '../src/serve/engine-options.js';
import { KVPool } from '../src/serve/kv-pool.js';
import { Tokenizer } from '../src/tokenizer/tokenizer.js';

export interface KVPerplexity {
  kvType: KVType;
  perplexity: number;
  scored: number;
  bytesPerToken: number;
}

/** Perplexity of `model` over `chunks` (each of the same length) through the paged step with `kvType`. */
export async function kvPerplexity(modelPath: string, chunks: number[][], kvType: KVType): Promise<KVPerplexity> {
  const rt = await Runtime.create({});
  try {
    const ctx = chunks[0]!.length;
    const S = chunks.length;
    const probe = loadModel(rt, modelPath, { contextLength: 16, batch: 16, onMessage: () => {} });
    const cfg = probe.config;
    probe.dispose();
    const opts = { maxSeqs: S, maxBatchedTokens: S, contextLength: ctx, kvType, blockTokens: 16 };
    const model = loadModel(rt, modelPath, { ...serveModelOptions(cfg, opts), onMessage: () => {} });
    try {
      const pool = KVPool.fromModel(model, 16, kvType);
      const perSeq = ctx / 16;
      if (pool.numBlocks < S * perSeq) throw new Error(`the pool holds ${pool.numBlocks} blocks, ${S * perSeq} needed`);
      const runner = new YiBatchRunner(model, pool, { maxTokens: S, maxSeqs: S, contextLength: ctx });
      let nll = 0;
      let scored = 0;
      for (let p = 0; p + 1 < ctx; p++) {
        const rows = runner.run(chunks.map((c, i) => ({ tokens: [c[p]!], pos0: p, blockTable: Array.from({ length: perSeq }, (_, b) => i * perSeq + b), logits: true })));
        if (p < ctx / 2) continue;
        rows.forEach((row, i) => {
          let m = -Infinity;
          for (const v of row) m = Math.max(m, v);
          let sum = 0;
          for (const v of row) sum += Math.exp(v - m);
          nll += Math.log(sum) + m - row[chunks[i]![p + 1]!]!;
          scored++;
        });
      }
      runner.dispose();
      return { kvType, perplexity: Math.exp(nll / scored), scored, bytesPerToken: pool.bytesPerToken };
    } finally {
      model.dispose();
    }
  } finally {
    await rt.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string, dflt?: string): string => {
    const i = process.argv.indexOf(name);
    const v = i >= 0 ? process.argv[i + 1] : dflt;
    if (v === undefined) throw new Error(`${name} is required`);
    return v;
  };
  const modelPath = arg('--model');
  const ctx = Number(arg('--ctx', '512'));
  const nChunks = Number(arg('--chunks', '16'));
  const tok = Tokenizer.load(modelPath);
  const ids = tok.encode(readFileSync(arg('--text'), 'utf8'), { addBos: false });
  const bos = tok.specials.bos;
  const chunks: number[][] = [];
  for (let i = 0; chunks.length < nChunks && (i + 1) * (ctx - 1) <= ids.length; i++) chunks.push([bos, ...ids.slice(i * (ctx - 1), (i + 1) * (ctx - 1))]);
  const f32 = await kvPerplexity(modelPath, chunks, 'f32');
  const i8 = await kvPerplexity(modelPath, chunks, 'int8');
  for (const r of [f32, i8]) console.log(`${r.kvType}: perplexity ${r.perplexity.toFixed(3)} over ${r.scored} tokens (${chunks.length} chunks of ${ctx}), KV ${r.bytesPerToken.toFixed(0)} bytes per token`);
  console.log(`int8 KV: perplexity ${((i8.perplexity / f32.perplexity - 1) * 100).toFixed(3)}% vs f32, ${(f32.bytesPerToken / i8.bytesPerToken).toFixed(2)}x fewer KV bytes`);
}

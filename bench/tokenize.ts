// `yi tokenize` throughput: MB/s of JSONL text to token shards, in-process and on worker threads,
// next to the bare encode speed of the same tokenizer on the same text (the pipeline's overhead);
// then how fast PackedSequences serves shuffled training batches from the shards.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PackedSequences } from '../src/train/packing.js';
import { openTokenDataset } from '../src/train/shards.js';
import { defaultTokenizeThreads, tokenizeCorpus } from '../src/train/tokenize.js';
import { encodeModelProto } from '../src/tokenizer/sentencepiece-proto.js';
import { Tokenizer } from '../src/tokenizer/tokenizer.js';
import { trainTokenizer } from '../src/tokenizer/train.js';
import { bilingualCorpus } from './corpus.js';
import type { Reporter } from './harness.js';

export async function benchTokenize(rep: Reporter, opts: { quick?: boolean }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'yi-tokenize-bench-'));
  try {
    // A Yi-style tokenizer (BPE, byte fallback, digit split) trained on other text of the same kind.
    const vocabSize = opts.quick ? 4000 : 16000;
    const { proto } = await trainTokenizer([bilingualCorpus(opts.quick ? 500_000 : 2_000_000, 1)], { vocabSize });
    const model = join(dir, 'tokenizer.model');
    writeFileSync(model, encodeModelProto(proto));
    // Documents of ten paragraphs, as JSONL.
    const lines = bilingualCorpus(opts.quick ? 2 << 20 : 16 << 20, 7).split('\n').filter(Boolean);
    const docs: string[] = [];
    for (let i = 0; i < lines.length; i += 10) docs.push(lines.slice(i, i + 10).join('\n'));
    const corpus = join(dir, 'corpus.jsonl');
    writeFileSync(corpus, docs.map((t) => JSON.stringify({ text: t })).join('\n') + '\n');
    const mb = docs.reduce((a, t) => a + Buffer.byteLength(t), 0) / 1e6;

    const tok = Tokenizer.load(model);
    for (const d of docs.slice(0, 200)) tok.encode(d); // warm-up (JIT)
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (const d of docs) tok.encode(d);
    const bare = mb / ((performance.now() - t0) / 1000);
    const c1 = process.cpuUsage(c0);
    const bareCpu = mb / ((c1.user + c1.system) / 1e6);
    rep.add({ bench: 'tokenize', case: `tok.encode alone, ${mb.toFixed(0)} MB en/zh, vocab ${vocabSize}`, threads: 1, value: bare, unit: 'MB/s', note: `the ceiling of one thread; ${bareCpu.toFixed(2)} MB per CPU-second` });

    const threads = [...new Set([1, defaultTokenizeThreads()])];
    let out = '';
    for (const t of threads) {
      out = join(dir, `out-${t}`);
      const cpu0 = process.cpuUsage();
      const r = await tokenizeCorpus({ tokenizer: model, inputs: [corpus], out, threads: t, shardTokens: 1_000_000 });
      const cpu = process.cpuUsage(cpu0);
      // CPU seconds of every thread: on a shared machine a steadier figure than wall time.
      const cpuSec = (cpu.user + cpu.system) / 1e6;
      const p = r.progress;
      rep.add({
        bench: 'tokenize',
        case: `yi tokenize JSONL -> shards, ${mb.toFixed(0)} MB`,
        threads: t,
        value: p.bytes / 1e6 / p.seconds,
        unit: 'MB/s',
        note: `${(p.tokens / p.seconds / 1e6).toFixed(2)} M tokens/s, ${Math.round(p.documents / p.seconds)} docs/s, ${(p.bytes / 1e6 / cpuSec).toFixed(2)} MB per CPU-second` + (t === 1 ? ` (${((p.bytes / 1e6 / p.seconds / bare) * 100).toFixed(0)}% of bare encode)` : ''),
      });
    }

    const ds = openTokenDataset(out);
    try {
      const seqLen = 2048;
      const batch = 8;
      const packed = new PackedSequences(ds.split('train'), { seqLen, seed: 1 });
      const steps = opts.quick ? 20 : 100;
      const s0 = performance.now();
      for (let i = 0; i < steps; i++) packed.next(batch);
      const sec = (performance.now() - s0) / 1000;
      rep.add({ bench: 'tokenize', case: `PackedSequences.next(${batch}) x ${seqLen} tokens, shuffled`, value: (steps * batch * seqLen) / sec / 1e6, unit: 'M tokens/s', note: `${((sec / steps) * 1000).toFixed(2)} ms per batch` });
    } finally {
      ds.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

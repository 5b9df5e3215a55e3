// The data pipeline executor's own throughput: documents/s and MB/s (UTF-8 text) through a
// trivial stage, reading JSONL and writing JSONL.gz with the default checkpoint interval, with
// the pipeline run in the calling thread and on 1 and 2 worker threads. What a real cascade adds
// on top is the stages' own cost. Also per CPU-second of the whole process (all threads): the
// per-core cost, which holds on a machine busy with other work, where wall-clock rates do not.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPipeline } from '../src/data/pipeline/run.js';
import { mixedText } from './tokenizer.js';
import type { Reporter } from './harness.js';

export async function benchDataPipeline(rep: Reporter, opts: { quick?: boolean }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'yi-bench-data-'));
  try {
    const input = join(dir, 'in');
    mkdirSync(input);
    const files = 4;
    const perFile = opts.quick ? 2000 : 10_000;
    let bytes = 0;
    let docs = 0;
    for (let f = 0; f < files; f++) {
      const lines: string[] = [];
      for (let i = 0; i < perFile; i++) {
        // Documents of 200 B .. 4 KB, like web pages after extraction.
        const text = mixedText(200 + ((i * 7919) % 3800), f * perFile + i + 1);
        bytes += Buffer.byteLength(text);
        docs++;
        lines.push(JSON.stringify({ text, url: `https://example.com/${f}/${i}` }));
      }
      writeFileSync(join(input, `part-${f}.jsonl`), lines.join('\n') + '\n');
    }
    const stages = fileURLToPath(new URL('./data-stages.js', import.meta.url));
    for (const workers of [0, 1, 2]) {
      const out = join(dir, `out-${workers}`);
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const r = await runPipeline({ pipeline: { stages: [{ type: 'bench_passthrough' }], imports: [stages] }, input: [input], out, workers, tasks: files });
      const s = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const cpuS = (cpu.user + cpu.system) / 1e6;
      if (r.stats?.documents.written !== docs) throw new Error(`data-pipeline bench: ${r.stats?.documents.written} documents written, expected ${docs}`);
      const note = `${docs} docs, ${(bytes / 1e6).toFixed(1)} MB, ${files} tasks, ${workers === 0 ? 'in the calling thread' : 'worker threads'}`;
      rep.add({ bench: 'data-pipeline', case: 'passthrough docs/s', threads: Math.max(1, workers), value: docs / s, unit: 'docs/s', note });
      rep.add({ bench: 'data-pipeline', case: 'passthrough MB/s', threads: Math.max(1, workers), value: bytes / 1e6 / s, unit: 'MB/s', note });
      rep.add({ bench: 'data-pipeline', case: 'passthrough per CPU-second', threads: Math.max(1, workers), value: bytes / 1e6 / cpuS, unit: 'MB/CPU-s', note: `${Math.round(docs / cpuS)} docs/CPU-s; ${note}` });
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Quantized GEMM (prompt processing, batched decode): Y[M, N] = X[M, K] W^T for Q8_0 / Q4_0 W, as
// GOP/s (2 M N K / s) for M = 1..512 tokens on the Yi-6B and 174M shapes, 1 and 2 threads; M = 1 is
// the matvec that decode uses, and every M > 1 says its time per token against it (below 1: a batched
// step costs less per token than decoding one). The weights are the same matrix each call (L2/L3-resident at 174M
// shapes, DRAM-sized at Yi-6B ones).
import { Runtime } from '../src/runtime/runtime.js';
import { matvec, qmatmul } from '../src/tensor/ops/gemv.js';
import { quantize } from '../src/tensor/ops/quant.js';
import { Tensor } from '../src/tensor/tensor.js';
import { timeIt, type Reporter } from './harness.js';

const SHAPES: [number, number, string][] = [
  [4096, 4096, 'yi-6b q/o'],
  [11008, 4096, 'yi-6b gate/up'],
  [768, 768, '174m q/o'],
  [256, 768, '174m k/v'],
  [2048, 768, '174m gate/up'],
  [768, 2048, '174m down'],
];
const TOKENS = [1, 4, 16, 128, 512];

function randomF32(n: number, seed: number): Float32Array {
  const f = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    f[i] = s / 2 ** 31 - 1;
  }
  return f;
}

export async function benchQgemm(rep: Reporter, opts: { quick?: boolean }): Promise<void> {
  const quick = opts.quick ?? false;
  const shapes = quick ? SHAPES.filter(([, , l]) => l === '174m gate/up' || l === 'yi-6b q/o') : SHAPES;
  const tokens = quick ? [1, 16, 128] : TOKENS;
  const timing = quick ? { warmup: 1, runs: 3, minSeconds: 0.05 } : { warmup: 2, runs: 5, minSeconds: 0.2 };
  for (const threads of [1, 2]) {
    const rt = await Runtime.create({ threads });
    try {
      for (const dtype of ['q8_0', 'q4_0'] as const) {
        for (const [N, K, label] of shapes) {
          const wf = Tensor.fromF32(rt, randomF32(N * K, 1), [N, K]);
          const w = quantize(wf, dtype);
          wf.dispose();
          const arena = w.arena;
          let perToken1 = 0;
          for (const M of tokens) {
            const x = Tensor.fromF32(rt, randomF32(M * K, 2 + M), [M, K], arena);
            const y = Tensor.zeros(rt, 'f32', [M, N], arena);
            const ops = 2 * M * N * K;
            const s = timeIt(M === 1 ? () => matvec(w, x.reshape([K]), y.reshape([N])) : () => qmatmul(x, w, y), timing);
            if (M === 1) perToken1 = s;
            const note = M === 1 ? `matvec (decode); ${rt.flavor}` : `${(s / M / perToken1).toFixed(2)}x the time per token of M = 1; ${rt.flavor}`;
            rep.add({ bench: 'qgemm', case: `${dtype} ${N}x${K} (${label}) M=${M}`, threads, value: ops / s / 1e9, unit: 'GOP/s', note });
            x.dispose();
            y.dispose();
          }
          w.dispose();
        }
      }
    } finally {
      await rt.close();
    }
  }
}

// Quantized GEMM (prompt processing, batched decode): Y[M, N] = X[M, K] W^T for Q8_0 / Q4_0 W, as
// GOP/s (2 M N K / s) for M = 1..512 tokens on the Yi-6B and 174M shapes, 1 and 2 threads; M = 1 is
// the matvec that decode uses, and every M > 1 says its time per token against it (below 1: a batched
// step costs less per token than decoding one). "hot": the same matrix each call (cache-resident at 174M shapes);
// "cold": the call rotates through copies of W that together exceed the last-level cache, so every call reads its
// weights from DRAM as a model's decode does (a 174M-shape Q8_0 model is 180 MB): what a batched decode step saves
// by reading the weights once for all its tokens shows there.
import { Runtime } from '../src/runtime/runtime.js';
import { matvec, qmatmul } from '../src/tensor/ops/gemv.js';
import { quantize } from '../src/tensor/ops/quant.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { Reporter } from './harness.js';

const SHAPES: [number, number, string][] = [
  [4096, 4096, 'yi-6b q/o'],
  [11008, 4096, 'yi-6b gate/up'],
  [768, 768, '174m q/o'],
  [256, 768, '174m k/v'],
  [2048, 768, '174m gate/up'],
  [768, 2048, '174m down'],
];
const TOKENS = [1, 2, 4, 8, 16, 128, 512];
/** Batched-decode sizes measured with cold weights, and the bytes of weight copies they rotate through. */
const COLD_TOKENS = [1, 2, 4, 8, 16];
const COLD_BYTES = 96 << 20;

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
  const rounds = quick ? 3 : 7;
  for (const threads of [1, 2]) {
    const rt = await Runtime.create({ threads });
    try {
      for (const dtype of ['q8_0', 'q4_0'] as const) {
        for (const [N, K, label] of shapes) {
          const wf = Tensor.fromF32(rt, randomF32(N * K, 1), [N, K]);
          const w = quantize(wf, dtype);
          wf.dispose();
          byTokens(rep, rt, { dtype, N, K, label, threads, tokens, rounds, cold: false }, () => w);
          w.dispose();
        }
        for (const [N, K, label] of quick ? [] : shapes.filter(([, , l]) => l.startsWith('174m'))) {
          // Copies of W that together exceed the last-level cache, read in turn (see the header).
          const wf = Tensor.fromF32(rt, randomF32(N * K, 1), [N, K]);
          const first = quantize(wf, dtype);
          const copies = Math.max(2, Math.ceil(COLD_BYTES / first.byteLength));
          const ws = [first, ...Array.from({ length: copies - 1 }, () => quantize(wf, dtype, first.arena))];
          wf.dispose();
          let i = 0;
          try {
            byTokens(rep, rt, { dtype, N, K, label, threads, tokens: COLD_TOKENS, rounds, cold: true }, () => ws[(i = (i + 1) % copies)]!);
          } finally {
            for (const c of ws) c.dispose();
          }
        }
      }
    } finally {
      await rt.close();
    }
  }
}

interface Case {
  dtype: 'q8_0' | 'q4_0';
  N: number;
  K: number;
  label: string;
  threads: number;
  tokens: readonly number[];
  rounds: number;
  cold: boolean;
}

/** GOP/s for each M, and for M > 1 its time per token against M = 1: the median over rounds of
 *  (M's time / M) / M = 1's time, both timed back to back in each round, so that a busy machine
 *  slows both sides of a ratio alike. */
function byTokens(rep: Reporter, rt: Runtime, c: Case, weights: () => Tensor): void {
  const w0 = weights();
  const arena = w0.arena;
  const { N, K } = c;
  const x1 = Tensor.fromF32(rt, randomF32(K, 3), [K], arena);
  const y1 = Tensor.zeros(rt, 'f32', [N], arena);
  const one = (): void => void matvec(weights(), x1, y1);
  // Calls per timing: about 20 ms of M = 1 work (at least one).
  const seconds = (fn: () => void, calls: number): number => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    return Number(process.hrtime.bigint() - t0) / 1e9 / calls;
  };
  for (let i = 0; i < 3; i++) one();
  const calls1 = Math.max(1, Math.round(0.02 / seconds(one, 1)));
  const where = c.cold ? ', weights from DRAM' : '';
  const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;
  for (const M of c.tokens) {
    const x = Tensor.fromF32(rt, randomF32(M * K, 2 + M), [M, K], arena);
    const y = Tensor.zeros(rt, 'f32', [M, N], arena);
    const fn = M === 1 ? one : (): void => void qmatmul(x, weights(), y);
    for (let i = 0; i < 2; i++) fn();
    const times: number[] = [];
    const ratios: number[] = [];
    const calls = Math.max(1, Math.round(calls1 / M));
    for (let r = 0; r < c.rounds; r++) {
      const t1 = M === 1 ? 0 : seconds(one, calls1);
      const t = seconds(fn, calls);
      times.push(t);
      if (M > 1) ratios.push(t / M / t1);
    }
    const note = M === 1 ? `matvec (decode)${where}; ${rt.flavor}` : `${median(ratios).toFixed(2)}x the time per token of M = 1${where}; ${rt.flavor}`;
    rep.add({ bench: 'qgemm', case: `${c.dtype} ${N}x${K} (${c.label}) M=${M}${c.cold ? ' cold' : ''}`, threads: c.threads, value: (2 * M * N * K) / median(times) / 1e9, unit: 'GOP/s', note });
    x.dispose();
    y.dispose();
  }
  x1.dispose();
  y1.dispose();
}

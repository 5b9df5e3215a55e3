// The batched kx4 products (gemm_kx4: Q4_K, Q5_K, Q6_K; gemm_kxl: Q3_K, Q2_K, Q5_0, Q5_1, Q4_1) for 2..64 tokens (batched decode
// and short prompts) against one matvec per token (M = 1, decode) and against the f32-panel path
// that prompts take (kMatmulPanels), at the 174M shapes, 1 and 2 threads. Each figure is a median
// over rounds of ratios timed back to back in the round (A B A B ...), so a busy machine slows both
// sides alike: "time per token vs M = 1" below 1 means a batched step costs less per token than
// decoding one; "vs panels" below 1 means gemm_kx4 beats the panel path at that M.
import { Runtime } from '../src/runtime/runtime.js';
import type { KType } from '../src/tensor/dtype.js';
import { matvec } from '../src/tensor/ops/gemv.js';
import { kFromGGUF, kMatmulPanels, kMatmulX4Batched, kx4BatchFits } from '../src/tensor/ops/kquant.js';
import { ggufByteSize, KTYPES } from '../src/tensor/dtype.js';
import { Tensor } from '../src/tensor/tensor.js';
import type { Reporter } from './harness.js';

const SHAPES: [number, number, string][] = [
  [2048, 768, '174m gate/up'],
  [768, 2048, '174m down'],
  [64000, 768, '174m lm_head'],
  [11008, 4096, 'yi-6b gate/up'],
];

function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/** Random GGUF blocks of t with small fp16 scales (d, dmin ~0.01): any other byte is a valid value. */
function blocks(t: KType, N: number, K: number): Uint8Array {
  const b = new Uint8Array(ggufByteSize(t, [N, K]));
  const r = lcg(N + K);
  for (let i = 0; i < b.length; i += 4) {
    const v = (r() * 2 ** 32) >>> 0;
    b[i] = v & 255; b[i + 1] = (v >>> 8) & 255; b[i + 2] = (v >>> 16) & 255; b[i + 3] = v >>> 24;
  }
  const bb = KTYPES[t].bytes;
  const scales: Record<KType, number[]> = { q4_1: [0, 2], q5_0: [0], q5_1: [0, 2], q2_k: [80, 82], q3_k: [108], q4_k: [0, 2], q5_k: [0, 2], q6_k: [208] };
  for (let o = 0; o < b.length; o += bb) {
    const at = scales[t];
    for (const a of at) { b[o + a] = 0x1e; b[o + a + 1] = 0x21; }
  }
  return b;
}

function randomF32(n: number, seed: number): Float32Array {
  const r = lcg(seed);
  return Float32Array.from({ length: n }, () => r() * 2 - 1);
}

/** Seconds per call: CPU time on 1 thread (robust to the shared machine's preemption), else wall time. */
function timer(threads: number): (fn: () => void, calls: number) => number {
  return (fn, calls) => {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) fn();
    if (threads > 1) return Number(process.hrtime.bigint() - t0) / 1e9 / calls;
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1e6 / calls;
  };
}
const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;

export async function benchKgemm(rep: Reporter, opts: { quick?: boolean }): Promise<void> {
  const quick = opts.quick ?? false;
  const rounds = quick ? 3 : 9;
  const Ms = quick ? [3, 16] : (process.env.KGEMM_TOKENS ?? "2,3,4,8,16,32,64").split(",").map(Number);
  for (const threads of quick ? [1] : (process.env.KGEMM_THREADS ?? "1,2").split(",").map(Number)) {
    const rt = await Runtime.create({ threads, arenaBytes: 256 << 20 });
    const seconds = timer(threads);
    try {
      // KGEMM_TYPES=q3_k,q2_k,... limits the run to those types.
      const types = (process.env.KGEMM_TYPES ?? 'q4_k,q6_k,q5_k,q3_k,q2_k,q5_0,q5_1,q4_1').split(',') as KType[];
      for (const t of types) {
        for (const [N, K, label] of SHAPES) {
          if ((label.endsWith('lm_head') && t !== 'q6_k') || (label.startsWith('yi-6b') && t !== 'q4_k' && t !== 'q3_k')) continue;
          const w = kFromGGUF(rt, t, [N, K], blocks(t, N, K));
          const x1 = Tensor.fromF32(rt, randomF32(K, 3), [K], w.arena);
          const y1 = Tensor.zeros(rt, 'f32', [N], w.arena);
          const one = (): void => void matvec(w, x1, y1);
          for (let i = 0; i < 3; i++) one();
          const calls1 = Math.max(2, Math.round(0.02 / seconds(one, 1)));
          for (const M of Ms) {
            if (!kx4BatchFits(rt, w.arena, M, K, t)) continue;
            const x = Tensor.fromF32(rt, randomF32(M * K, 5 + M), [M, K], w.arena);
            const y = Tensor.zeros(rt, 'f32', [M, N], w.arena);
            const batched = (): void => kMatmulX4Batched(x, w, y);
            const panels = (): void => kMatmulPanels(x, w, y);
            batched();
            panels();
            const calls = Math.max(1, Math.round(calls1 / M));
            const vsOne: number[] = [];
            const vsPanels: number[] = [];
            for (let r = 0; r < rounds; r++) {
              const a = seconds(one, calls1);
              const b = seconds(batched, calls);
              const p = seconds(panels, calls);
              vsOne.push(b / M / a);
              vsPanels.push(b / p);
            }
            rep.add({ bench: 'kgemm', case: `${t} ${N}x${K} (${label}) M=${M}`, threads, value: median(vsOne), unit: 'x time/token of M=1', note: `${median(vsPanels).toFixed(2)}x the f32-panel path's time; ${rt.flavor}` });
            x.dispose();
            y.dispose();
          }
          for (const u of [w, x1, y1]) u.dispose();
        }
      }
    } finally {
      await rt.close();
    }
  }
}

// GEMM throughput: the f32 kernel at 1 and 2 threads on a square product and on a linear layer
// (A * W^T, W stored [N, K]), f16 weights, the three products of a training step's linear layers
// (bench/train.ts's model: 16 x 256 tokens, hidden 256, ffn 688, vocab 8000), and a plain
// TypeScript triple loop as the baseline.
import { Runtime } from '../src/runtime/runtime.js';
import { gemm, type GemmBType } from '../src/tensor/ops/matmul.js';
import { timeIt, type Reporter } from './harness.js';

interface GemmCase {
  name: string;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB: boolean;
  btype: GemmBType;
}

const TARGET_PER_THREAD = 30;
const TARGET_SPEEDUP = 1.8;

function cases(quick: boolean): GemmCase[] {
  const [sq, m, w] = quick ? [256, 32, 512] : [1024, 128, 4096];
  return [
    { name: `f32 ${sq}x${sq}x${sq}`, m: sq, n: sq, k: sq, transB: false, btype: 'f32' },
    { name: `f32 ${m}x${w}x${w} A*W^T`, m, n: w, k: w, transB: true, btype: 'f32' },
    { name: `f16 W ${m}x${w}x${w} A*W^T`, m, n: w, k: w, transB: true, btype: 'f16' },
    ...trainingCases(quick),
  ];
}

/** Forward x W^T, backward dY W and dY^T x of the MLP's up projection, and the lm_head's dY^T x. */
function trainingCases(quick: boolean): GemmCase[] {
  const [tokens, h, f, v] = quick ? [256, 64, 172, 500] : [4096, 256, 688, 8000];
  return [
    { name: `train x*W^T ${tokens}x${f}x${h}`, m: tokens, n: f, k: h, transB: true, btype: 'f32' },
    { name: `train dY*W ${tokens}x${h}x${f}`, m: tokens, n: h, k: f, transB: false, btype: 'f32' },
    { name: `train dY^T*x ${f}x${h}x${tokens}`, m: f, n: h, k: tokens, transA: true, transB: false, btype: 'f32' },
    { name: `train lm_head dY^T*x ${v}x${h}x${tokens}`, m: v, n: h, k: tokens, transA: true, transB: false, btype: 'f32' },
  ];
}

/** Seconds per call of one case on a runtime (operands filled with small random values). */
function timeCase(rt: Runtime, c: GemmCase, quick: boolean): number {
  const esz = c.btype === 'f32' ? 4 : 2;
  const pa = rt.alloc(c.m * c.k * 4);
  const arena = pa.arena;
  const pb = rt.alloc(c.k * c.n * esz, arena);
  const pc = rt.alloc(c.m * c.n * 4, arena);
  try {
    const f = arena.f32;
    for (let i = 0; i < c.m * c.k; i++) f[pa.offset / 4 + i] = Math.random() - 0.5;
    if (esz === 4) for (let i = 0; i < c.k * c.n; i++) f[pb.offset / 4 + i] = Math.random() - 0.5;
    // 0x3800 = 0.5 in f16; vary the mantissa so conversion sees ordinary values.
    else for (let i = 0; i < c.k * c.n; i++) arena.u16[pb.offset / 2 + i] = 0x3800 | ((i * 7919) & 0x3ff);
    const args = { arena, a: pa.offset, lda: c.transA ? c.m : c.k, transA: c.transA ?? false, b: pb.offset, ldb: c.transB ? c.k : c.n, transB: c.transB, btype: c.btype, c: pc.offset, ldc: c.n, m: c.m, n: c.n, k: c.k };
    return timeIt(() => gemm(rt, args), quick ? { warmup: 1, runs: 3, minSeconds: 0 } : { warmup: 3, runs: 7, minSeconds: 0.5 });
  } finally {
    rt.release(pc);
    rt.release(pb);
    rt.release(pa);
  }
}

/** C[n, n] = A[n, n] * B[n, n], the triple loop a TypeScript programmer writes first (i-k-j order). */
function naiveGemm(a: Float32Array, b: Float32Array, c: Float32Array, n: number): void {
  c.fill(0);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < n; p++) {
      const x = a[i * n + p]!;
      for (let j = 0; j < n; j++) c[i * n + j]! += x * b[p * n + j]!;
    }
  }
}

function naiveGflops(n: number, quick: boolean): number {
  const a = Float32Array.from({ length: n * n }, () => Math.random() - 0.5);
  const b = Float32Array.from({ length: n * n }, () => Math.random() - 0.5);
  const c = new Float32Array(n * n);
  const s = timeIt(() => naiveGemm(a, b, c, n), quick ? { warmup: 1, runs: 3, minSeconds: 0 } : { warmup: 2, runs: 5, minSeconds: 0.3 });
  return (2 * n ** 3) / s / 1e9;
}

export async function benchGemm(rep: Reporter, opts: { quick?: boolean } = {}): Promise<void> {
  const quick = opts.quick ?? false;
  const naiveN = quick ? 64 : 256;
  const naive = naiveGflops(naiveN, quick);
  rep.add({ bench: 'gemm', case: `naive TS f32 ${naiveN}x${naiveN}x${naiveN}`, threads: 1, value: naive, unit: 'GFLOP/s', note: 'plain triple loop on Float32Array (baseline)' });

  const list = cases(quick);
  const gflops = new Map<string, number>();
  let flavor = '';
  for (const threads of [1, 2]) {
    const rt = await Runtime.create({ threads });
    try {
      flavor = rt.flavor;
      for (const c of list) gflops.set(`${c.name}/${threads}`, (2 * c.m * c.n * c.k) / timeCase(rt, c, quick) / 1e9);
    } finally {
      await rt.close();
    }
  }
  for (const c of list) {
    const one = gflops.get(`${c.name}/1`)!;
    const two = gflops.get(`${c.name}/2`)!;
    rep.add({
      bench: 'gemm', case: c.name, threads: 1, value: one, unit: 'GFLOP/s',
      note: `${flavor}; target >= ${TARGET_PER_THREAD}/thread; ${(one / naive).toFixed(0)}x naive TS`,
    });
    rep.add({
      bench: 'gemm', case: c.name, threads: 2, value: two, unit: 'GFLOP/s',
      note: `${flavor}; 2t/1t = ${(two / one).toFixed(2)}x (target >= ${TARGET_SPEEDUP}x)`,
    });
  }
}

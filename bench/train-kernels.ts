// The training kernels at the shape of one block of a small Yi-shaped model (hidden 256, 8 query
// heads over 2 kv heads of 32, MLP 688, vocabulary 8000) on a batch of 16 x 256 = 4096 tokens,
// and AdamW over 7M parameters: milliseconds per call and GB/s (memory-bound kernels, counting each
// operand read or written once) or GFLOP/s (attention), at 1 and 2 threads, one timed call each.
import { Runtime } from '../src/runtime/runtime.js';
import { swigluBackward } from '../src/tensor/ops/activation-backward.js';
import { attentionTrain } from '../src/tensor/ops/attention.js';
import { attentionBackward } from '../src/tensor/ops/attention-backward.js';
import { embeddingBackward } from '../src/tensor/ops/embedding-backward.js';
import { sumSquares } from '../src/tensor/ops/gradient.js';
import { crossEntropy } from '../src/tensor/ops/loss.js';
import { rmsnormBackward } from '../src/tensor/ops/norm-backward.js';
import { adamw } from '../src/tensor/ops/optimizer.js';
import { mulberry32 } from '../src/tensor/random.js';
import { Tensor } from '../src/tensor/tensor.js';
import { timeIt, type Reporter, type TimeOptions } from './harness.js';

interface Shape {
  b: number;
  t: number;
  hidden: number;
  hq: number;
  hkv: number;
  d: number;
  ffn: number;
  vocab: number;
  params: number;
}

const FULL: Shape = { b: 16, t: 256, hidden: 256, hq: 8, hkv: 2, d: 32, ffn: 688, vocab: 8000, params: 7_000_000 };
const QUICK: Shape = { b: 2, t: 64, hidden: 256, hq: 8, hkv: 2, d: 32, ffn: 688, vocab: 1000, params: 100_000 };

interface Case {
  name: string;
  /** Runs the kernel once. */
  run: () => void;
  /** Work of one call: bytes moved or floating-point operations. */
  work: number;
  unit: 'GB/s' | 'GFLOP/s';
}

function random(rt: Runtime, shape: readonly number[], seed: number, amp = 1): Tensor {
  const r = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = amp * (2 * r() - 1);
  return Tensor.fromF32(rt, data, shape);
}

/** The cases on one runtime; every tensor is allocated once, up front. */
function cases(rt: Runtime, s: Shape): Case[] {
  const n = s.b * s.t;
  const f32 = 4;
  const q = random(rt, [s.b, s.t, s.hq, s.d], 1);
  const k = random(rt, [s.b, s.t, s.hkv, s.d], 2);
  const v = random(rt, [s.b, s.t, s.hkv, s.d], 3);
  const out = Tensor.zeros(rt, 'f32', q.shape);
  const dOut = random(rt, q.shape, 4);
  const [dq, dk, dv] = [Tensor.zeros(rt, 'f32', q.shape), Tensor.zeros(rt, 'f32', k.shape), Tensor.zeros(rt, 'f32', v.shape)];
  // Sum over query rows of the keys they see: t (t + 1) / 2 per (sequence, head).
  const pairs = s.b * s.hq * ((s.t * (s.t + 1)) / 2);

  const x = random(rt, [n, s.hidden], 5, 3);
  const w = random(rt, [s.hidden], 6);
  const dy = random(rt, [n, s.hidden], 7);
  const rstd = random(rt, [n], 8);
  const dx = Tensor.zeros(rt, 'f32', [n, s.hidden]);
  const dw = Tensor.zeros(rt, 'f32', [s.hidden]);

  const gate = random(rt, [n, s.ffn], 9, 4);
  const up = random(rt, [n, s.ffn], 10);
  const dMlp = random(rt, [n, s.ffn], 11);
  const dGate = Tensor.zeros(rt, 'f32', [n, s.ffn]);
  const dUp = Tensor.zeros(rt, 'f32', [n, s.ffn]);

  const logits = random(rt, [n, s.vocab], 12, 8);
  const r = mulberry32(13);
  const targets = Tensor.fromI32(rt, Int32Array.from({ length: n }, () => Math.floor(r() * s.vocab)), [n]);
  const losses = Tensor.zeros(rt, 'f32', [n]);
  const dTable = Tensor.zeros(rt, 'f32', [s.vocab, s.hidden]);

  const p = random(rt, [s.params], 14);
  const g = random(rt, [s.params], 15);
  const m = Tensor.zeros(rt, 'f32', [s.params]);
  const vv = Tensor.zeros(rt, 'f32', [s.params]);
  let step = 0;

  return [
    { name: `attentionTrain B=${s.b} T=${s.t} Hq=${s.hq} Hkv=${s.hkv} D=${s.d}`, run: () => attentionTrain(q, k, v, out), work: 4 * s.d * pairs, unit: 'GFLOP/s' },
    // Recomputing the scores and dP (4 D per pair), then dq, dk, dv (6 D per pair).
    { name: `attentionBackward B=${s.b} T=${s.t} Hq=${s.hq} Hkv=${s.hkv} D=${s.d}`, run: () => attentionBackward(q, k, v, dOut, dq, dk, dv), work: 10 * s.d * pairs, unit: 'GFLOP/s' },
    // dWeight reads dy and x; dx reads them again and writes dx.
    { name: `rmsnormBackward [${n}, ${s.hidden}]`, run: () => rmsnormBackward(dy, x, w, rstd, dx, dw), work: 5 * n * s.hidden * f32, unit: 'GB/s' },
    { name: `swigluBackward [${n}, ${s.ffn}]`, run: () => swigluBackward(gate, up, dMlp, dGate, dUp), work: 5 * n * s.ffn * f32, unit: 'GB/s' },
    // In place: after the first call the logits are gradients, which costs the same.
    { name: `crossEntropy [${n}, ${s.vocab}]`, run: () => crossEntropy(logits, targets, losses, 1 / n), work: 2 * n * s.vocab * f32, unit: 'GB/s' },
    { name: `embeddingBackward [${n}, ${s.hidden}] into [${s.vocab}, ${s.hidden}]`, run: () => embeddingBackward(targets, dy, dTable), work: 3 * n * s.hidden * f32, unit: 'GB/s' },
    { name: `adamw ${(s.params / 1e6).toFixed(1)}M params`, run: () => adamw(p, g, m, vv, { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step: ++step, gradScale: 1 }), work: 7 * s.params * f32, unit: 'GB/s' },
    { name: `sumSquares ${(s.params / 1e6).toFixed(1)}M`, run: () => void sumSquares(g), work: s.params * f32, unit: 'GB/s' },
  ];
}

export async function benchTrainKernels(rep: Reporter, opts: { quick?: boolean } = {}): Promise<void> {
  const quick = opts.quick ?? false;
  const shape = quick ? QUICK : FULL;
  // One warm-up call (JIT, page faults, worker start) and one timed call per kernel.
  const timing: TimeOptions = { warmup: 1, runs: 1, minSeconds: 0 };
  const results = new Map<string, number>();
  let flavor = '';
  for (const threads of [1, 2]) {
    const rt = await Runtime.create({ threads });
    try {
      flavor = rt.flavor;
      for (const c of cases(rt, shape)) {
        const sec = timeIt(c.run, timing);
        results.set(`${c.name}/${threads}`, sec);
        const one = results.get(`${c.name}/1`)!;
        const note = threads > 1 ? `${(one / sec).toFixed(2)}x vs 1 thread` : flavor;
        rep.add({ bench: 'train-kernels', case: c.name, threads, value: sec * 1e3, unit: 'ms', note });
        rep.add({ bench: 'train-kernels', case: c.name, threads, value: c.work / sec / 1e9, unit: c.unit, note: c.unit === 'GB/s' ? 'each operand read or written once' : 'nominal multiply-adds x 2' });
      }
    } finally {
      await rt.close();
    }
  }
}

// The LoRA linear op (y = x W^T + scale * dropout(x) A^T B^T on a frozen W) against a float64 reference:
// its gradients of A, B and x are checked by central differences of the reference's loss <G, y>, on an
// f32 base with and without dropout and on Q8_0 / Q4_0 bases (whose reference weight is the dequantized one).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrozenWeight, linear } from '../../../src/tensor/autograd/lora.js';
import { Tape } from '../../../src/tensor/autograd/tape.js';
import { dropout } from '../../../src/tensor/ops/dropout.js';
import { dequantize, quantize } from '../../../src/tensor/ops/quant.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { checkGradient } from '../ops/grad-ref.js';
import { assertClose, randomF32, runtime } from '../ops/helpers.js';

/** y[n, o] = sum_i x W + scale * sum_j (sum_i xd[n, i] A[j, i]) B[o, j], in float64. */
function reference(x: ArrayLike<number>, w: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>, keep: ArrayLike<number>, N: number, K: number, O: number, R: number, scale: number): Float64Array {
  const y = new Float64Array(N * O);
  for (let n = 0; n < N; n++) {
    const u = new Float64Array(R);
    for (let j = 0; j < R; j++) for (let i = 0; i < K; i++) u[j]! += x[n * K + i]! * keep[n * K + i]! * a[j * K + i]!;
    for (let o = 0; o < O; o++) {
      let s = 0;
      for (let i = 0; i < K; i++) s += x[n * K + i]! * w[o * K + i]!;
      let l = 0;
      for (let j = 0; j < R; j++) l += u[j]! * b[o * R + j]!;
      y[n * O + o] = s + scale * l;
    }
  }
  return y;
}

const dot = (g: ArrayLike<number>, y: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += g[i]! * y[i]!;
  return s;
};

for (const c of [
  { what: 'f32 base, no dropout', type: 'f32', p: 0 },
  { what: 'f32 base, dropout 0.3', type: 'f32', p: 0.3 },
  { what: 'q8_0 base, dropout 0.1', type: 'q8_0', p: 0.1 },
  { what: 'q4_0 base, no dropout', type: 'q4_0', p: 0 },
] as const) {
  test(`LoRA linear, ${c.what}: gradients of A, B and x match central differences of a float64 reference`, async () => {
    const rt = await runtime(2);
    const arena = rt.newArena();
    const [N, K, O, R, scale, seed] = [7, 64, 40, 3, 2.5, 1234];
    const xv = randomF32(N * K, 1);
    const wv = randomF32(O * K, 2, -0.2, 0.2);
    const av = randomF32(R * K, 3, -0.3, 0.3);
    const bv = randomF32(O * R, 4, -0.3, 0.3);
    const g = randomF32(N * O, 5);
    const wf = Tensor.fromF32(rt, wv, [O, K], arena);
    const w = c.type === 'f32' ? wf : quantize(wf, c.type);
    // The reference reads the weight the op reads: the dequantized one for a block type.
    const wRef = c.type === 'f32' ? wv : dequantize(w).toArray();
    // The mask, as dropout draws it: dropout of ones gives keep / (1 - p) per element.
    const keep = c.p > 0 ? dropout(Tensor.fromF32(rt, new Float32Array(N * K).fill(1), [N, K], arena), c.p, seed, Tensor.zeros(rt, 'f32', [N, K], arena)).toArray() : new Float32Array(N * K).fill(1);
    if (c.p > 0) assert.ok(keep.some((k) => k === 0) && keep.some((k) => k > 1), 'the mask drops some inputs and scales the rest');
    const tape = new Tape(rt, arena);
    const leaf = (v: Float32Array, shape: number[]) => tape.leaf(Tensor.fromF32(rt, v, shape, arena), Tensor.zeros(rt, 'f32', shape, arena));
    const x = leaf(xv, [N, K]);
    const a = leaf(av, [R, K]);
    const b = leaf(bv, [O, R]);
    const y = linear(tape, x, new FrozenWeight(w, { a, b, scale, dropout: c.p, seed }));
    const want = reference(xv, wRef, av, bv, keep, N, K, O, R, scale);
    // A block-typed base multiplies int8-quantized activations (the int8-dot GEMM): within that rounding.
    assertClose(y.value.toArray(), want, c.type === 'f32' ? 1e-5 : 2e-2, 1, `${c.what}: y`);
    y.grad = Tensor.fromF32(rt, g, [N, O], arena);
    tape.backward(y);
    const loss = (xs: ArrayLike<number>, ws: ArrayLike<number>, as: ArrayLike<number>, bs: ArrayLike<number>) => dot(g, reference(xs, ws, as, bs, keep, N, K, O, R, scale));
    checkGradient(`${c.what}: dA`, av, a.grad!.toArray(), (v) => loss(xv, wRef, v, bv), 40, 6, 1e-4);
    checkGradient(`${c.what}: dB`, bv, b.grad!.toArray(), (v) => loss(xv, wRef, av, v), 40, 7, 1e-4);
    checkGradient(`${c.what}: dx`, xv, x.grad!.toArray(), (v) => loss(v, wRef, av, bv), 40, 8, 1e-4);
    tape.dispose();
  });
}

test('LoRA linear without gradients (evaluation) leaves A and B untouched and records nothing', async () => {
  const rt = await runtime(1);
  const arena = rt.newArena();
  const tape = new Tape(rt, arena);
  const w = Tensor.fromF32(rt, randomF32(8 * 32, 1), [8, 32], arena);
  const a = tape.leaf(Tensor.fromF32(rt, randomF32(2 * 32, 2), [2, 32], arena));
  const b = tape.leaf(Tensor.zeros(rt, 'f32', [8, 2], arena));
  const x = tape.leaf(Tensor.fromF32(rt, randomF32(3 * 32, 3), [3, 32], arena));
  const y = linear(tape, x, new FrozenWeight(w, { a, b, scale: 4, dropout: 0, seed: 1 }));
  assert.equal(y.requiresGrad, false);
  // B = 0: exactly the frozen layer's output.
  const base = linear(tape, x, new FrozenWeight(w));
  assert.deepEqual(y.value.toArray(), base.value.toArray());
  tape.dispose();
});

// dX = dY W for a frozen weight of any type: a Q8_0 / Q4_0 weight is dequantized a tile of rows at a
// time, and the sum over tiles must equal dY times the whole dequantized weight (tiles that do not
// divide the rows, padding rows of the x4 layout, accumulation with beta 1), the same bits on 1 and 2 threads.
import { test } from 'node:test';
import { linearInputGrad } from '../../../src/tensor/ops/linear-backward.js';
import { matmul } from '../../../src/tensor/ops/matmul.js';
import { dequantize, quantize } from '../../../src/tensor/ops/quant.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { assertClose, assertSameBits, randomF32, runtime } from './helpers.js';

for (const type of ['q8_0', 'q4_0'] as const) {
  test(`linearInputGrad on ${type}: tiles of dequantized rows sum to dY dequantize(W), beta 0 and 1`, async () => {
    const results: Float32Array[] = [];
    for (const threads of [1, 2]) {
      const rt = await runtime(threads);
      const [M, N, K] = [13, 37, 96]; // N: not a multiple of 4 nor of the tile
      const w = quantize(Tensor.fromF32(rt, randomF32(N * K, 1), [N, K]), type);
      const dY = Tensor.fromF32(rt, randomF32(M * N, 2), [M, N]);
      const prior = randomF32(M * K, 3);
      const want = matmul(dY, dequantize(w)).toArray();
      for (const tileRows of [8, 12, 40, undefined]) {
        const dX = Tensor.fromF32(rt, prior, [M, K]);
        linearInputGrad(dY, w, dX, 0, tileRows);
        assertClose(dX.toArray(), want, 1e-5, 1, `${type} tiles of ${tileRows ?? 'default'} rows, beta 0`);
        linearInputGrad(dY, w, dX, 1, tileRows);
        assertClose(dX.toArray(), want.map((v) => 2 * v), 1e-5, 1, `${type} tiles of ${tileRows ?? 'default'} rows, beta 1`);
        if (tileRows === 8) results.push(dX.toArray());
      }
    }
    assertSameBits(results[0]!, results[1]!, `${type}: 1 vs 2 threads`);
  });
}

test('linearInputGrad on an f32 weight is the GEMM dY W', async () => {
  const rt = await runtime(2);
  const [M, N, K] = [5, 9, 33];
  const wf = Tensor.fromF32(rt, randomF32(N * K, 4), [N, K]);
  const dY = Tensor.fromF32(rt, randomF32(M * N, 5), [M, N]);
  const want = matmul(dY, wf).toArray();
  assertClose(linearInputGrad(dY, wf, Tensor.zeros(rt, 'f32', [M, K]), 0).toArray(), want, 1e-6, 1, 'f32');
});

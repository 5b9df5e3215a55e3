import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Runtime } from '../../../src/runtime/runtime.js';
import { castInto } from '../../../src/tensor/ops/cast.js';
import { convert } from '../../../src/tensor/ops/convert.js';
import { quantize } from '../../../src/tensor/ops/quant.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { rand } from './qref.js';

let rt: Runtime;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 64 << 20 });
});
after(async () => {
  await rt.close();
});

test('castInto writes the same bytes as convert and quantize, also into 4-row slices', () => {
  const rows = 10;
  const cols = 64;
  const src = Tensor.fromF32(rt, rand(rows * cols, 5), [rows, cols]);
  for (const dtype of ['f32', 'f16', 'bf16', 'q8_0', 'q4_0'] as const) {
    const want = dtype === 'f32' ? src : dtype === 'q8_0' || dtype === 'q4_0' ? quantize(src, dtype) : convert(src, dtype);
    const whole = castInto(src, Tensor.zeros(rt, dtype, [rows, cols], src.arena));
    assert.deepEqual(whole.bytes(), want.bytes(), `${dtype} whole`);
    // Filled in pieces of 4 rows (and a last piece of 2), as weight loaders stream them.
    const pieces = Tensor.zeros(rt, dtype, [rows, cols], src.arena);
    for (let r = 0; r < rows; r += 4) {
      const n = Math.min(4, rows - r);
      castInto(src.slice(r, n), pieces.slice(r, n));
    }
    assert.deepEqual(pieces.bytes(), want.bytes(), `${dtype} in slices`);
  }
});

test('castInto rejects a source that is not f32 or not the same shape', () => {
  const src = Tensor.fromF32(rt, rand(64, 1), [2, 32]);
  assert.throws(() => castInto(src, Tensor.zeros(rt, 'q8_0', [1, 32], src.arena)), /castInto: src must have shape \[1, 32\]/);
  assert.throws(() => castInto(Tensor.fromI32(rt, new Int32Array(64), [2, 32], src.arena), Tensor.zeros(rt, 'f16', [2, 32], src.arena)), /src must be f32, got i32/);
  assert.throws(() => castInto(src, Tensor.zeros(rt, 'i32', [2, 32], src.arena)), /out must be f32\|f16\|bf16\|q8_0\|q4_0, got i32/);
});

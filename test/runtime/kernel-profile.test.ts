import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KernelProfile } from '../../src/runtime/profile.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { add } from '../../src/tensor/ops/activation.js';
import { matmul } from '../../src/tensor/ops/matmul.js';
import { Tensor } from '../../src/tensor/tensor.js';

test('a runtime profile counts calls and time per kernel, GEMMs by transposes and shape, only while set', async () => {
  const rt = await Runtime.create({ threads: 2, arenaBytes: 64 << 20 });
  try {
    const x = Tensor.fromF32(rt, new Float32Array(5 * 3).fill(1), [5, 3]);
    const w = Tensor.fromF32(rt, new Float32Array(7 * 3).fill(2), [7, 3]);
    const y = Tensor.fromF32(rt, new Float32Array(5 * 7).fill(3), [5, 7]);
    matmul(x, w, { transB: true }); // not recorded: no profile yet
    const profile = new KernelProfile();
    rt.profile = profile;
    matmul(x, w, { transB: true });
    matmul(x, w, { transB: true });
    matmul(y, w); // [5, 7] x [7, 3]
    add(y, y);
    rt.profile = undefined;
    add(y, y);
    assert.deepEqual([...profile.rows.keys()].sort(), ['add_f32', 'gemm AB 5x3x7', 'gemm AB^T 5x7x3']);
    assert.equal(profile.rows.get('gemm AB^T 5x7x3')!.calls, 2);
    assert.equal(profile.rows.get('gemm AB 5x3x7')!.calls, 1);
    assert.equal(profile.rows.get('add_f32')!.calls, 1);
    for (const r of profile.rows.values()) assert.ok(r.ms >= 0 && Number.isFinite(r.ms));
    assert.ok(Math.abs(profile.totalMs - [...profile.rows.values()].reduce((s, r) => s + r.ms, 0)) < 1e-9);
  } finally {
    await rt.close();
  }
});

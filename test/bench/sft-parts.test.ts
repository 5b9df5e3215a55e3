// The SFT bench's bookkeeping: which part of a LoRA step each profiled kernel belongs to (adapter GEMMs
// are told from the base's by the rank among their dimensions), the per-step sums with the time outside
// kernels, and the reading of torch_train.py's result line (with the LoRA implementation it names).
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loraStepParts, PARTS, partOf } from '../../bench/sft-parts.js';
import { torchTokensPerSecond } from '../../bench/train.js';
import { KernelProfile } from '../../src/runtime/profile.js';

test('partOf sorts a LoRA step kernels: base forward, adapters (rank 16 among M, N, K), dX, dW, dequantize, dropout, optimizer', () => {
  const r = 16;
  assert.equal(partOf('gemm AB^T 4096x256x256', r), PARTS.baseForward); // x Wq^T
  assert.equal(partOf('gemm AB^T 4096x4000x256', r), PARTS.baseForward); // lm_head
  assert.equal(partOf('gemm AB^T 4096x16x256', r), PARTS.adapter); // dropout(x) A^T
  assert.equal(partOf('gemm AB^T 4096x688x16', r), PARTS.adapter); // u B^T
  assert.equal(partOf('gemm AB 4096x256x688', r), PARTS.baseDx); // dY W (down_proj)
  assert.equal(partOf('gemm AB 4096x16x688', r), PARTS.adapter); // dY B
  assert.equal(partOf('gemm AB 4096x256x16', r), PARTS.adapter); // du A
  assert.equal(partOf('gemm A^TB 688x16x4096', r), PARTS.adapter); // dB
  assert.equal(partOf('gemm A^TB 16x256x4096', r), PARTS.adapter); // dA
  assert.equal(partOf('gemm A^TB 256x256x4096', r), PARTS.baseDw); // full finetuning's dW
  assert.equal(partOf('qgemm_q4_0', r), PARTS.baseForward);
  assert.equal(partOf('qgemm_quantize', r), PARTS.baseForward);
  assert.equal(partOf('dequantize_x4', r), PARTS.dequant);
  assert.equal(partOf('dropout', r), PARTS.dropout);
  assert.equal(partOf('adamw_f32', r), PARTS.optimizer);
  assert.equal(partOf('sum_squares_f32', r), PARTS.optimizer);
  assert.equal(partOf('attention_train_tiled_f32', r), PARTS.other);
  assert.equal(partOf('gemm AB^T 4096x256', r), PARTS.other, 'a label that is not a whole GEMM shape is not guessed at');
});

test('loraStepParts averages over the steps and puts the untimed rest outside kernels', () => {
  const p = new KernelProfile();
  p.add('gemm AB^T 64x256x256', 30);
  p.add('gemm AB^T 64x256x256', 10);
  p.add('gemm AB^T 64x16x256', 4);
  p.add('dropout', 6);
  const parts = loraStepParts(p, 40, 2, 16);
  const ms = (name: string) => parts.find((x) => x.part === name)?.ms;
  assert.equal(ms(PARTS.baseForward), 20);
  assert.equal(ms(PARTS.adapter), 2);
  assert.equal(ms(PARTS.dropout), 3);
  assert.equal(ms(PARTS.outside), 15);
  assert.equal(ms(PARTS.whole), 40);
  assert.equal(ms(PARTS.baseDx), undefined, 'a part with no kernel is left out');
});

test('torchTokensPerSecond reads the last JSON line (with the LoRA implementation) and explains a failed run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yi-fake-torch-'));
  try {
    const ok = join(dir, 'ok-python');
    writeFileSync(ok, '#!/bin/sh\necho "loading"\necho \'{"tokens_per_s": 1234.5, "torch": "2.13.0+cpu", "threads": 1, "python": "/v/bin/python", "lora": "peft 0.21.0"}\'\n');
    const bad = join(dir, 'bad-python');
    writeFileSync(bad, '#!/bin/sh\necho "ModuleNotFoundError: No module named torch" >&2\nexit 1\n');
    chmodSync(ok, 0o755);
    chmodSync(bad, 0o755);
    assert.deepEqual(torchTokensPerSecond(ok, [256, '--lora', 16]), { ok: { tps: 1234.5, version: '2.13.0+cpu', python: '/v/bin/python', lora: 'peft 0.21.0' } });
    const r = torchTokensPerSecond(bad, [256]);
    assert.ok('error' in r && /exited with 1 \(ModuleNotFoundError: No module named torch\)/.test(r.error), JSON.stringify(r));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

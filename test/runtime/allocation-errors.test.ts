// An allocation that does not fit says what was being allocated (the tensor's dtype and shape, and
// for a model the parameter's name), how many bytes, and the arena's capacity: a typed error.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { preset } from '../../src/model/config.js';
import { YiTrainable } from '../../src/model/trainable.js';
import { OutOfArenaMemory } from '../../src/runtime/arena.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { AdamW, PRETRAIN_ADAMW } from '../../src/train/optimizer.js';

const MiB = 1 << 20;
const outOfMemory = (re: RegExp) => (e: unknown) => e instanceof OutOfArenaMemory && re.test(e.message);

test('a tensor that does not fit names its dtype, shape, bytes and the arena capacity', async () => {
  const rt = await Runtime.create({ threads: 1, arenaBytes: 16 * MiB });
  try {
    const arena = rt.arenas[0]!;
    Tensor.zeros(rt, 'f32', [1024, 1024], arena); // 4 MiB
    Tensor.zeros(rt, 'f32', [1024, 1024], arena);
    assert.throws(
      () => Tensor.zeros(rt, 'f32', [2048, 1024], arena),
      outOfMemory(/^arena 0: cannot allocate 8388608 bytes \(8\.0 MiB\) for f32 \[2048, 1024\]: \d+ bytes \(\d+\.\d MiB\) free of its capacity of 16777216 bytes \(16\.0 MiB\)$/),
    );
    assert.throws(() => Tensor.empty(rt, 'bf16', [4096, 4096], arena), outOfMemory(/for bf16 \[4096, 4096\]/));
    // Larger than any arena: refused before trying one.
    assert.throws(() => Tensor.zeros(rt, 'f32', [8192, 1024]), outOfMemory(/cannot allocate 33554432 bytes for f32 \[8192, 1024\]: one buffer must fit in one arena of 16777216 bytes/));
  } finally {
    await rt.close();
  }
});

test('a trainable model or its optimizer that runs out of arena names the parameter', async () => {
  const rt = await Runtime.create({ threads: 1, arenaBytes: 16 * MiB });
  try {
    // tiny needs 1.25 MB for weights and gradients: leave it half a MiB in a shared arena.
    const full = rt.newArena();
    Tensor.zeros(rt, 'f32', [Math.floor((full.available - MiB / 2) / 4096), 1024], full);
    assert.throws(
      () => YiTrainable.create(rt, preset('tiny'), { kind: 'random', seed: 1 }, { maxSeqLen: 16, arena: full }),
      outOfMemory(/^parameter model\.[\w.]+weight: arena 1: cannot allocate \d+ bytes .* for f32 \[\d+(, \d+)?\]: .* capacity of 16777216 bytes/),
    );
    const arena = rt.newArena();
    const model = YiTrainable.create(rt, preset('tiny'), { kind: 'random', seed: 1 }, { maxSeqLen: 16, arena });
    Tensor.zeros(rt, 'f32', [Math.floor(arena.available / 4096) - 64, 1024], arena);
    assert.throws(() => new AdamW(model.params, PRETRAIN_ADAMW), outOfMemory(/^AdamW exp_avg(_sq)? of model\.[\w.]+weight: arena 2: cannot allocate/));
  } finally {
    await rt.close();
  }
});

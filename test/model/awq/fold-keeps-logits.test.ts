// Folding AWQ scales changes the weights but not the function: s into the columns of the matrices
// that read an input, 1/s into the RMSNorm weight (or the up_proj / v_proj rows) that produce it.
// The float model's logits before and after folding agree to rounding (~1e-6), for scales far from
// 1 in every group, with and without GQA; a fold that cannot be exact is refused.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AwqError } from '../../../src/model/awq/errors.js';
import { foldScales } from '../../../src/model/awq/fold.js';
import { GROUPS, groupWidth, type LayerScales } from '../../../src/model/awq/scales.js';
import { preset, type YiConfig } from '../../../src/model/config.js';
import { convertCheckpoint } from '../../../src/model/convert.js';
import { loadFromSource } from '../../../src/model/load.js';
import { openWeights, type WeightSource } from '../../../src/model/source.js';
import { YiTrainable } from '../../../src/model/trainable.js';
import { mulberry32 } from '../../../src/tensor/random.js';
import { Runtime } from '../../../src/runtime/runtime.js';
import { writeModelFolder } from '../../../src/train/checkpoint.js';
import { relativeError } from '../relative-error.js';

const BASE: YiConfig = { ...preset('tiny'), vocabSize: 96, maxPositions: 64, hidden: 64, heads: 4, kvHeads: 2, headDim: 16, ffn: 96, layers: 2 };
const PROMPT = [1, 17, 33, 50, 8, 71, 29, 64, 5, 90, 41, 12];

let rt: Runtime;
let tmp: string;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 64 << 20 });
  tmp = mkdtempSync(join(tmpdir(), 'yi-awq-fold-'));
});
after(async () => {
  await rt.close();
  rmSync(tmp, { recursive: true, force: true });
});

function modelFolder(name: string, cfg: YiConfig): string {
  const dir = join(tmp, name);
  const m = YiTrainable.create(rt, cfg, { kind: 'random', seed: 5 }, { maxSeqLen: 8, arena: rt.arenas[0] });
  try {
    writeModelFolder(dir, m);
  } finally {
    m.dispose();
  }
  return dir;
}

/** Scales from 1/4 to 4 (log-uniform) for every group the config can fold. */
function randomScales(cfg: YiConfig, groups: readonly (keyof LayerScales)[], seed: number): LayerScales[] {
  const next = mulberry32(seed);
  return Array.from({ length: cfg.layers }, () => {
    const ls: LayerScales = {};
    for (const g of groups) ls[g] = Float32Array.from({ length: groupWidth(cfg, g) }, () => Math.pow(4, next() * 2 - 1));
    return ls;
  });
}

/** Logits of the prompt's last token and of one decoded token after it. */
function logits(src: WeightSource): Float32Array[] {
  const m = loadFromSource(rt, src, { dtype: 'f32', contextLength: 32, batch: 16, onMessage: () => {} });
  try {
    const a = m.forward(PROMPT).toArray();
    const b = m.forward([23]).toArray();
    return [a, b];
  } finally {
    m.dispose();
  }
}

for (const [label, cfg, groups] of [
  ['GQA 2:1 (Yi-6B-like): input_layernorm, post_attention_layernorm and up_proj rows', BASE, ['attn', 'mlp', 'down']],
  ['no GQA: v_proj rows too', { ...BASE, kvHeads: 4 }, GROUPS],
] as const) {
  test(`folding scales of 1/4 .. 4 leaves the float logits unchanged within 1e-5, ${label}`, () => {
    const dir = modelFolder(label.slice(0, 6).replace(/\W/g, ''), cfg);
    const src = openWeights(dir);
    try {
      const want = logits(src);
      const got = logits(foldScales(src, randomScales(cfg, groups, 11)));
      for (let i = 0; i < want.length; i++) assert.ok(relativeError(got[i]!, want[i]!) < 1e-5, `step ${i}: ${relativeError(got[i]!, want[i]!)}`);
      // The scales did change the weights (a fold that did nothing would pass the check above).
      const q = 'model.layers.0.self_attn.q_proj.weight';
      const row = (s: WeightSource) => {
        const b = new Uint8Array(s.tensors.get(q)!.rowBytes);
        s.tensors.get(q)!.readRows(0, 1, b);
        return new Float32Array(b.buffer);
      };
      assert.ok(relativeError(row(foldScales(src, randomScales(cfg, groups, 11))), row(src)) > 0.1);
    } finally {
      src.close();
    }
  });
}

test('o_proj scales under GQA and a quantized checkpoint are refused with an AwqError naming the tensor', async () => {
  const dir = modelFolder('gqa', BASE);
  const src = openWeights(dir);
  try {
    // v_proj has Hkv * D rows but o_proj's input has Hq * D channels: no exact fold exists.
    const scales = randomScales(BASE, ['o'], 3);
    assert.throws(() => foldScales(src, scales), (e: unknown) => e instanceof AwqError && /v_proj\.weight/.test(e.message) && /32/.test(e.message));
  } finally {
    src.close();
  }
  const q8 = join(tmp, 'q8.gguf');
  await convertCheckpoint(dir, q8, { type: 'q8_0', runtime: rt });
  const qs = openWeights(q8);
  try {
    assert.throws(() => foldScales(qs, randomScales(BASE, ['attn'], 3)), (e: unknown) => e instanceof AwqError && /q_proj\.weight is Q8_0/.test(e.message) && /F32, F16 or BF16/.test(e.message));
  } finally {
    qs.close();
  }
});

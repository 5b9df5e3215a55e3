// GGUF files whose matrices are in the block types llama.cpp's llama-quantize writes (k-quants, Q4_1,
// Q5_0, Q5_1; mixed with Q4_0, as in its q4_0 output whose output.weight is Q6_K) load as stored,
// generate, stay close to the same file dequantized to f32, and fail with typed errors naming the
// tensor when truncated or holding a NaN/Inf block scale.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FormatError } from '../../src/formats/errors.js';
import { GGMLType, gguf, GGUFValueType, openGGUF, writeGGUF, type GGUFWriteTensor } from '../../src/formats/gguf.js';
import { hfToGGUFName } from '../../src/formats/llama-names.js';
import { ggmlTypeOfDType } from '../../src/formats/ggml-types.js';
import { preset, toGGUFMetadata, type YiConfig } from '../../src/model/config.js';
import { convertCheckpoint } from '../../src/model/convert.js';
import { loadModel } from '../../src/model/load.js';
import type { YiModel } from '../../src/model/model.js';
import { weightTypesLabel } from '../../src/model/weight-types.js';
import { parameterShapes } from '../../src/model/weights.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { DType, KType } from '../../src/tensor/dtype.js';
import { K_LAYOUT, randomBlocks, lcg } from '../tensor/ops/kref.js';
import { relativeError } from './relative-error.js';

// Matrix widths of whole 256-weight super-blocks (hidden 256, ffn 512), one layer.
const CFG: YiConfig = { ...preset('tiny'), vocabSize: 96, maxPositions: 64, hidden: 256, heads: 4, kvHeads: 2, headDim: 64, ffn: 512, layers: 1 };
const PROMPT = [1, 17, 33, 5, 60, 12];

/** Largest |integer multiplier| of a block's scale per type: random blocks get weights of about 0.05. */
const SPAN: Record<KType | 'q4_0', number> = { q4_0: 8, q4_1: 16, q5_0: 16, q5_1: 32, q2_k: 45, q3_k: 128, q4_k: 945, q5_k: 1953, q6_k: 4064 };

let rt: Runtime;
let tmp: string;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 64 << 20 });
  tmp = mkdtempSync(join(tmpdir(), 'yi-kquant-'));
});
after(async () => {
  await rt.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Random Q4_0 blocks (f16 scale, 16 bytes of nibbles). */
function q4_0Blocks(n: number, next: () => number): Uint8Array {
  const out = new Uint8Array(n * 18);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(next() * 256);
  for (let b = 0; b < n; b++) {
    out[b * 18] = 0x1f; // 0x1f1f: about 0.0062
    out[b * 18 + 1] = 0x1f;
  }
  return out;
}

/** Writes a GGUF of `cfg` with each matrix in the type `typeOf` gives its GGUF name (norms F32). */
function writeModel(name: string, typeOf: (ggufName: string) => KType | 'q4_0' | 'f16', seed: number, cfg: YiConfig = CFG): string {
  const next = lcg(seed);
  const tensors: GGUFWriteTensor[] = parameterShapes(cfg).map(([hf, shape]) => {
    const n = hfToGGUFName(hf)!;
    if (shape.length === 1) return { name: n, shape, type: GGMLType.F32, data: new Uint8Array(Float32Array.from({ length: shape[0]! }, () => 1).buffer) };
    const t = typeOf(n);
    const count = shape[0]! * shape[1]!;
    if (t === 'q4_0') return { name: n, shape, type: GGMLType.Q4_0, data: q4_0Blocks(count / 32, next) };
    if (t === 'f16') return { name: n, shape, type: GGMLType.F16, data: new Uint8Array(count * 2).fill(0x10) };
    return { name: n, shape, type: ggmlTypeOfDType(t), data: randomBlocks(t, count / K_LAYOUT[t].block, next, 0.05 / SPAN[t]) };
  });
  const meta = toGGUFMetadata(cfg);
  meta.set('general.name', name);
  meta.set('tokenizer.ggml.model', 'llama');
  meta.set('tokenizer.ggml.tokens', Array.from({ length: cfg.vocabSize }, (_, i) => (i < 3 ? ['<unk>', '<s>', '</s>'][i]! : `tok${i}`)));
  meta.set('tokenizer.ggml.scores', gguf.arrayOf(GGUFValueType.FLOAT32, Float32Array.from({ length: cfg.vocabSize }, (_, i) => -i)));
  meta.set('tokenizer.ggml.token_type', gguf.arrayOf(GGUFValueType.INT32, Int32Array.from({ length: cfg.vocabSize }, (_, i) => (i < 3 ? 3 : 1))));
  const path = join(tmp, `${name}.gguf`);
  writeGGUF(path, { metadata: meta, tensors });
  return path;
}

/** Prompt logits, then 3 greedy steps; the tokens chosen by the first model are fed to the second. */
function logits(model: YiModel, feed?: number[]): { out: Float32Array[]; tokens: number[] } {
  model.reset();
  const out = [model.forward(PROMPT).toArray()];
  const tokens: number[] = [];
  for (let i = 0; i < 3; i++) {
    const last = out[out.length - 1]!;
    const next = feed?.[i] ?? last.indexOf(Math.max(...last));
    tokens.push(next);
    out.push(model.forward([next]).toArray());
  }
  return { out, tokens };
}

const MIXES: Record<string, (n: string) => KType | 'q4_0'> = {
  // llama-quantize q4_0: everything Q4_0 but the output matrix, which it makes Q6_K.
  'q4_0 with a q6_k output': (n) => (n === 'output.weight' ? 'q6_k' : 'q4_0'),
  // Every block type in one file.
  'every block type': (n) =>
    (({ 'token_embd.weight': 'q4_k', 'output.weight': 'q6_k', 'blk.0.attn_q.weight': 'q5_k', 'blk.0.attn_k.weight': 'q2_k', 'blk.0.attn_v.weight': 'q3_k', 'blk.0.attn_output.weight': 'q4_1', 'blk.0.ffn_gate.weight': 'q5_0', 'blk.0.ffn_up.weight': 'q5_1', 'blk.0.ffn_down.weight': 'q4_k' }) as Record<string, KType>)[n]!,
};

for (const [i, [mix, typeOf]] of Object.entries(MIXES).entries()) {
  test(`a GGUF with ${mix} loads as stored, generates, and stays close to its f32 dequantization`, () => {
    const path = writeModel(`mix${i}`, typeOf, 20 + i);
    const model = loadModel(rt, path, { contextLength: 32, batch: 8, onMessage: () => {} });
    const f32 = loadModel(rt, path, { dtype: 'f32', contextLength: 32, batch: 8, onMessage: () => {} });
    try {
      const types = new Set<DType>([model.weights.embed.dtype, model.weights.lmHead.dtype, ...Object.values(model.weights.layers[0]!).map((t) => t.dtype)]);
      for (const n of ['output.weight', 'token_embd.weight', 'blk.0.attn_v.weight']) assert.ok(types.has(typeOf(n)), `${n}'s type ${typeOf(n)} kept (got ${[...types].join(', ')})`);
      assert.match(weightTypesLabel(model.weights), /q6_k/);
      const q = logits(model);
      const r = logits(f32, q.tokens);
      for (const [s, l] of q.out.entries()) {
        assert.ok(l.every(Number.isFinite), `step ${s}: finite logits`);
        // int8 activations in every matvec (the head's included) against f32 ones: about 0.5-2% here;
        // a matrix read wrongly (wrong type, wrong rows) is about 100%.
        const err = relativeError(l, r.out[s]!);
        assert.ok(err < 0.05, `${mix}, step ${s}: logit error ${err} of the largest logit`);
      }
    } finally {
      model.dispose();
      f32.dispose();
    }
  });
}

test('a truncated k-quant tensor is a typed error naming the tensor', () => {
  const path = writeModel('trunc', MIXES['every block type']!, 31);
  const bytes = readFileSync(path);
  const cut = join(tmp, 'cut.gguf');
  writeFileSync(cut, bytes.subarray(0, bytes.length - 1000));
  assert.throws(
    () => loadModel(rt, cut, { contextLength: 32, batch: 8, onMessage: () => {} }),
    (e: Error) => e instanceof FormatError && /tensor #\d+ \(output\.weight\) data .*\(Q6_K \[96, 256\]\) runs past end of file/.test(e.message),
  );
});

test('a NaN/Inf block scale in a k-quant tensor is named by --check and by yi convert', async () => {
  const path = writeModel('inf', MIXES['every block type']!, 32);
  const bytes = new Uint8Array(readFileSync(path));
  const g = openGGUF(path);
  const info = g.tensors.find((t) => t.name === 'blk.0.attn_v.weight')!; // q3_k: d at byte 108 of a block
  g.close();
  const at = info.offset + 5 * K_LAYOUT.q3_k.bytes + 108;
  bytes[at] = 0x00;
  bytes[at + 1] = 0x7c; // +Inf
  const bad = join(tmp, 'inf-scale.gguf');
  writeFileSync(bad, bytes);
  assert.throws(
    () => loadModel(rt, bad, { check: true, contextLength: 32, batch: 8, onMessage: () => {} }),
    (e: Error) => e instanceof FormatError && /model\.layers\.0\.self_attn\.v_proj\.weight: 256 weights with a NaN\/Inf block scale/.test(e.message),
  );
  await assert.rejects(convertCheckpoint(bad, join(tmp, 'out-hf'), { runtime: rt }), (e: Error) => e instanceof FormatError && /v_proj\.weight has 256 weights with a NaN\/Inf block scale/.test(e.message));
  // Unchanged, the same file converts to a Hugging Face folder (k-types dequantized to f32) and to GGUF (bytes kept).
  await convertCheckpoint(path, join(tmp, 'ok-hf'), { runtime: rt });
  const copy = join(tmp, 'copy.gguf');
  await convertCheckpoint(path, copy, { runtime: rt });
  const a = loadModel(rt, path, { contextLength: 32, batch: 8, onMessage: () => {} });
  const b = loadModel(rt, copy, { contextLength: 32, batch: 8, onMessage: () => {} });
  try {
    assert.deepEqual(logits(b).out, logits(a).out);
  } finally {
    a.dispose();
    b.dispose();
  }
});

test("llama-quantize's fallbacks on narrow models load: Q5_0 matrices with an F16 ffn_down of rows of 172", () => {
  // As llama-quantize q4_k_m writes the recipe's tiny shape: Q4_K -> Q5_0 (rows of 64), Q6_K -> Q8_0
  // for the output (here Q5_0 too), and ffn_down (rows of 172) F16. The memory check estimates every
  // matrix at the first attention matrix's type, with the same fallback.
  const cfg: YiConfig = { ...preset('tiny'), vocabSize: 96, maxPositions: 64, layers: 1 };
  const path = writeModel('narrow', (n) => (n.includes('ffn_down') ? 'f16' : 'q5_0'), 40, cfg);
  const model = loadModel(rt, path, { contextLength: 32, batch: 8, onMessage: () => {} });
  try {
    assert.equal(model.weights.layers[0]!.wDown.dtype, 'f16');
    assert.equal(model.weights.layers[0]!.wq.dtype, 'q5_0');
    assert.ok(model.forward(PROMPT).toArray().every(Number.isFinite));
  } finally {
    model.dispose();
  }
});

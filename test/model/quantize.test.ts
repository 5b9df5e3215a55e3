// yi quantize: llama-quantize's per-tensor types for the _M / _S mixes (hand-computed tables from
// llama.cpp's rules), its fallbacks, whole files from an HF folder and from a GGUF (the same bytes),
// atomic output, and the CLI. Byte identity with llama-quantize's own files is checked by
// `npm run test:reference`; the quantizers' bytes by test/tensor/ops/kquant.test.ts.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { FormatError } from '../../src/formats/errors.js';
import { ggmlTypeName, openGGUF } from '../../src/formats/gguf.js';
import { preset, type YiConfig } from '../../src/model/config.js';
import { convertCheckpoint } from '../../src/model/convert.js';
import { loadModel } from '../../src/model/load.js';
import { fallbackType, mixType, quantizeCheckpoint, useMoreBits } from '../../src/model/quantize.js';
import { YiTrainable } from '../../src/model/trainable.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { writeModelFolder } from '../../src/train/checkpoint.js';
import { encodeModelProto } from '../../src/tokenizer/sentencepiece-proto.js';
import { runYi } from '../cli/yi-cli.js';
import { tinyTokenizerProto } from './tiny-tokenizer.js';
import { relativeError } from './relative-error.js';

const CFG: YiConfig = { ...preset('tiny'), vocabSize: 96, maxPositions: 64, hidden: 256, heads: 4, kvHeads: 2, headDim: 64, ffn: 512, layers: 2 };

let rt: Runtime;
let tmp: string;
let folder: string;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 64 << 20 });
  tmp = mkdtempSync(join(tmpdir(), 'yi-quantize-'));
  folder = join(tmp, 'hf');
  const m = YiTrainable.create(rt, CFG, { kind: 'random', seed: 3 }, { maxSeqLen: 8, arena: rt.arenas[0] });
  try {
    writeModelFolder(folder, m);
  } finally {
    m.dispose();
  }
  writeFileSync(join(folder, 'tokenizer.model'), encodeModelProto(tinyTokenizerProto()));
});
after(async () => {
  await rt.close();
  rmSync(tmp, { recursive: true, force: true });
});

test("use_more_bits and the mixes' per-layer choices over 32 layers, as llama.cpp's rules give them", () => {
  // use_more_bits(i, 32): i < 4, i >= 28, or (i - 4) % 3 == 2.
  const more = [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31];
  assert.deepEqual([...Array(32).keys()].filter((i) => useMoreBits(i, 32)), more);
  const layerTypes = (t: Parameters<typeof mixType>[0], tensor: string) => [...Array(32).keys()].map((i) => mixType(t, `blk.${i}.${tensor}.weight`, 4096, 32, true));
  assert.deepEqual(layerTypes('q4_k_m', 'attn_v'), [...Array(32).keys()].map((i) => (more.includes(i) ? 'q6_k' : 'q4_k')));
  assert.deepEqual(layerTypes('q4_k_m', 'ffn_down'), [...Array(32).keys()].map((i) => (more.includes(i) ? 'q6_k' : 'q4_k')));
  assert.deepEqual(layerTypes('q5_k_m', 'ffn_down'), [...Array(32).keys()].map((i) => (more.includes(i) ? 'q6_k' : 'q5_k')));
  assert.deepEqual(layerTypes('q4_k_s', 'attn_v'), [...Array(32).keys()].map((i) => (i < 4 ? 'q5_k' : 'q4_k')));
  assert.deepEqual(layerTypes('q4_k_s', 'ffn_down'), [...Array(32).keys()].map((i) => (i < 4 ? 'q5_k' : 'q4_k')));
  assert.deepEqual(layerTypes('q5_k_s', 'attn_v'), Array(32).fill('q5_k'));
  for (const t of ['attn_q', 'attn_k', 'attn_output', 'ffn_gate', 'ffn_up']) assert.deepEqual(layerTypes('q4_k_m', t), Array(32).fill('q4_k'), t);
  assert.deepEqual(layerTypes('q3_k_m', 'attn_v'), [...Array(32).keys()].map((i) => (i < 2 ? 'q5_k' : 'q4_k')));
  assert.deepEqual(layerTypes('q3_k_m', 'ffn_down'), [...Array(32).keys()].map((i) => (i < 2 ? 'q5_k' : 'q4_k')));
  assert.deepEqual(layerTypes('q3_k_m', 'attn_output'), Array(32).fill('q4_k'));
  assert.deepEqual(layerTypes('q3_k_l', 'ffn_down'), Array(32).fill('q5_k'));
  assert.deepEqual(layerTypes('q3_k_s', 'attn_v'), Array(32).fill('q3_k'));
  assert.deepEqual(layerTypes('q2_k', 'ffn_down'), Array(32).fill('q3_k'));
  assert.deepEqual(layerTypes('q2_k', 'ffn_up'), Array(32).fill('q2_k'));
  // Q2_K's attn_v: Q3_K, or Q4_K where 4 or more query heads share a KV head (Yi-6B: 32 / 4).
  assert.equal(mixType('q2_k', 'blk.0.attn_v.weight', 4096, 32, true, 2), 'q3_k');
  assert.equal(mixType('q2_k', 'blk.0.attn_v.weight', 4096, 32, true, 8), 'q4_k');
  // The output matrix: Q6_K except for q8_0; the embedding keeps the default type unless it is also the output.
  assert.equal(mixType('q4_0', 'output.weight', 4096, 32, true), 'q6_k');
  assert.equal(mixType('q8_0', 'output.weight', 4096, 32, true), 'q8_0');
  assert.equal(mixType('q4_k_m', 'token_embd.weight', 4096, 32, true), 'q4_k');
  assert.equal(mixType('q4_k_m', 'token_embd.weight', 4096, 32, false), 'q6_k');
  assert.equal(mixType('q4_k_m', 'output.weight', 4000, 32, true), 'q8_0');
});

test("rows that are not whole blocks fall back as llama-quantize's do, then to F16", () => {
  assert.equal(fallbackType('q4_k', 4096), 'q4_k');
  assert.equal(fallbackType('q4_k', 688), 'f16'); // 688 = 21.5 blocks of 32
  assert.equal(fallbackType('q4_k', 640), 'q5_0');
  assert.equal(fallbackType('q5_k', 640), 'q5_1');
  assert.equal(fallbackType('q6_k', 640), 'q8_0');
  assert.equal(fallbackType('q6_k', 172), 'f16');
  assert.equal(fallbackType('q4_0', 172), 'f16');
  // llama-quantize's IQ4_NL for Q2_K / Q3_K rows of 64: refused, naming the tensor.
  assert.throws(() => fallbackType('q3_k', 64, 'blk.0.ffn_down.weight'), (e: Error) => /blk\.0\.ffn_down\.weight has rows of 64.*IQ4_NL/.test(e.message));
});

function tensorTypes(path: string): Record<string, string> {
  const g = openGGUF(path);
  try {
    return Object.fromEntries(g.tensors.map((t) => [t.name, ggmlTypeName(t.type)]));
  } finally {
    g.close();
  }
}

test('yi quantize q4_k_m from an HF folder and from its GGUF: the same bytes, the mix types, a model close to f32', async () => {
  const fromHF = join(tmp, 'a.q4_k_m.gguf');
  const res = await quantizeCheckpoint(folder, fromHF, { type: 'q4_k_m', runtime: rt });
  assert.equal(res.type, 'q4_k_m');
  const types = tensorTypes(fromHF);
  // 2 layers: use_more_bits(1, 2) holds (1 >= 7 * 2 / 8), use_more_bits(0, 2) does not.
  assert.equal(types['blk.0.attn_v.weight'], 'Q4_K');
  assert.equal(types['blk.1.attn_v.weight'], 'Q6_K');
  assert.equal(types['blk.0.ffn_down.weight'], 'Q4_K');
  assert.equal(types['blk.1.ffn_down.weight'], 'Q6_K');
  assert.equal(types['output.weight'], 'Q6_K');
  assert.equal(types['token_embd.weight'], 'Q4_K');
  assert.equal(types['blk.0.attn_norm.weight'], 'F32');
  const g = openGGUF(fromHF);
  assert.equal(g.metadata.get('general.file_type'), 15, 'LLAMA_FTYPE_MOSTLY_Q4_K_M');
  g.close();

  const f32 = join(tmp, 'a.f32.gguf');
  await convertCheckpoint(folder, f32, { type: 'f32', runtime: rt });
  const fromGGUF = join(tmp, 'b.q4_k_m.gguf');
  await quantizeCheckpoint(f32, fromGGUF, { type: 'q4_k_m', runtime: rt });
  assert.ok(readFileSync(fromHF).equals(readFileSync(fromGGUF)), 'same file from the folder and from its GGUF');

  const q = loadModel(rt, fromHF, { contextLength: 32, batch: 8, onMessage: () => {} });
  const ref = loadModel(rt, folder, { dtype: 'f32', contextLength: 32, batch: 8, onMessage: () => {} });
  try {
    const ids = [1, 5, 9, 40, 77];
    // 4-bit random weights: ~10% here, as Q4_0 measures on such models; a wrong layout is ~100%.
    const err = relativeError(q.forward(ids).toArray(), ref.forward(ids).toArray());
    assert.ok(err < 0.3, `logit error ${err}`);
  } finally {
    q.dispose();
    ref.dispose();
  }
});

test('a failed yi quantize leaves an existing output as it was and no temporary file', async () => {
  const dir = join(tmp, 'atomic');
  const bad = join(tmp, 'bad-hf');
  cpSync(folder, bad, { recursive: true });
  // A NaN in the middle of the safetensors data (its header is short JSON; the weights follow).
  const st = readFileSync(join(bad, 'model.safetensors'));
  st.writeFloatLE(NaN, st.length - 4096);
  writeFileSync(join(bad, 'model.safetensors'), st);
  mkdirSync(dir);
  const out = join(dir, 'out.gguf');
  writeFileSync(out, 'previous');
  await assert.rejects(quantizeCheckpoint(bad, out, { type: 'q6_k', runtime: rt }), (e: Error) => e instanceof FormatError && /NaN/.test(e.message));
  assert.equal(readFileSync(out, 'utf8'), 'previous');
  assert.deepEqual(readdirSync(dir), ['out.gguf']);
});

test('yi quantize on the command line: progress per tensor, the result line, unknown types refused', () => {
  const out = join(tmp, 'cli.q5_k_m.gguf');
  const r = runYi(['quantize', '-m', folder, '--type', 'Q5_K_M', '-o', out]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /^1\/21 token_embd\.weight$/m);
  assert.match(r.err, /^21\/21 output\.weight$/m);
  assert.match(r.out, /wrote .*cli\.q5_k_m\.gguf \(GGUF, q5_k_m, 21 tensors, tokenizer\)/);
  assert.ok(existsSync(out));
  const bad = runYi(['quantize', '-m', folder, '--type', 'iq4_xs', '-o', join(tmp, 'x.gguf')]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /expected one of q8_0, q6_k, q5_k_m/);
});

test('load-time --type q6_k holds the same bytes as yi quantize q6_k (every matrix Q6_K): the same logits', async () => {
  const file = join(tmp, 'all.q6_k.gguf');
  await quantizeCheckpoint(folder, file, { type: 'q6_k', runtime: rt });
  const a = loadModel(rt, file, { contextLength: 32, batch: 8, onMessage: () => {} });
  const b = loadModel(rt, folder, { dtype: 'q6_k', contextLength: 32, batch: 8, onMessage: () => {} });
  try {
    assert.equal(b.weights.layers[1]!.wDown.dtype, 'q6_k');
    assert.ok(Buffer.from(a.weights.layers[1]!.wq.bytes()).equals(Buffer.from(b.weights.layers[1]!.wq.bytes())), 'wq bytes');
    const ids = [1, 5, 9, 40, 77];
    assert.deepEqual(b.forward(ids).toArray(), a.forward(ids).toArray());
  } finally {
    a.dispose();
    b.dispose();
  }
});

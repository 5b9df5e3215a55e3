// What loading checks in a checkpoint's tensor set, for Hugging Face folders and GGUF files alike:
// layers beyond the config's count are refused (not silently dropped), tensors the model does not
// read are listed in a warning (refused with strict), tied embeddings follow transformers, and NaN/Inf
// weights are named by tensor with `check` on load and always by the converter.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GGMLType } from '../../src/formats/ggml-types.js';
import { gguf, writeGGUF, type GGUFWriteTensor } from '../../src/formats/gguf.js';
import { type SafetensorsWriteTensor } from '../../src/formats/safetensors.js';
import { convertCheckpoint } from '../../src/model/convert.js';
import { loadModel, type LoadOptions } from '../../src/model/load.js';
import { LoadError } from '../../src/model/source.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { tempDir } from '../formats/helpers.js';
import { ggufSeedMetadata, ggufSeedTensors, hfSeedTensors, SEED_CONFIG, writeHFSeed } from '../fuzz/seeds.js';

let rt: Runtime;
before(async () => {
  rt = await Runtime.create({ threads: 1, arenaBytes: 64 << 20 });
});
after(async () => {
  await rt.close();
});
const dir = tempDir();
let n = 0;

function hfFolder(opts: Parameters<typeof writeHFSeed>[1] = {}): string {
  const d = join(dir, `hf${n++}`);
  writeHFSeed(d, opts);
  return d;
}

function ggufFile(edit: (meta: ReturnType<typeof ggufSeedMetadata>, tensors: GGUFWriteTensor[]) => void, type: 'f32' | 'q8_0' = 'f32'): string {
  const meta = ggufSeedMetadata(type);
  const tensors = ggufSeedTensors(type);
  edit(meta, tensors);
  const path = join(dir, `m${n++}.gguf`);
  writeGGUF(path, { metadata: meta, tensors });
  return path;
}

/** Loads, returning the warnings given; the model is disposed. */
function load(path: string, opts: LoadOptions = {}): { warnings: string[]; levels: string[]; lmHead: Uint8Array; embed: Uint8Array } {
  const warnings: string[] = [];
  const levels: string[] = [];
  const model = loadModel(rt, path, { ...opts, onMessage: (w, level) => (warnings.push(w), levels.push(level)) });
  try {
    return { warnings, levels, lmHead: model.weights.lmHead.bytes().slice(), embed: model.weights.embed.bytes().slice() };
  } finally {
    model.dispose();
  }
}

function refused(path: string, opts: LoadOptions, re: RegExp): void {
  assert.throws(() => load(path, opts), (e: unknown) => e instanceof LoadError && e.message.includes(path) && re.test(e.message), path);
}

const f32 = (t: SafetensorsWriteTensor) => new Float32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));

test('a config or block_count with fewer layers than the file is refused, naming the extra tensors', () => {
  refused(hfFolder({ config: { num_hidden_layers: 1 } }), {}, /the file has tensors of layer 1 but num_hidden_layers \(config.json\) is 1; loading would silently drop 9 tensors: model.layers.1.input_layernorm.weight, /);
  refused(
    ggufFile((m) => m.set('llama.block_count', gguf.u32(1))),
    {},
    /the file has tensors of layer 1 but llama.block_count is 1; loading would silently drop 9 tensors: model.layers.1\./,
  );
});

test('tensors the model does not read are listed in a warning, and refused with strict', () => {
  const extra = hfSeedTensors();
  extra.push({ name: 'vision_tower.proj.weight', dtype: 'F32', shape: [2], data: new Uint8Array(8) });
  extra.push({ name: 'model.layers.0.self_attn.q_proj.bias', dtype: 'F32', shape: [32], data: new Uint8Array(128) });
  const hf = hfFolder({ tensors: extra });
  const { warnings, levels } = load(hf);
  assert.equal(warnings.length, 1);
  assert.deepEqual(levels, ['warning'], 'a fault of the file: a warning, which --quiet does not silence');
  assert.match(warnings[0]!, /2 tensors in the file are not read by a Llama\/Yi model and ignored \(refused with --strict\): (vision_tower.proj.weight|model.layers.0.self_attn.q_proj.bias), /);
  refused(hf, { strict: true }, /strict: 2 tensors are in the file but not read by a Llama\/Yi model: /);
  // GGUF: a tensor with no Hugging Face name at all, listed under its own name.
  const g = ggufFile((_m, t) => t.push({ name: 'rope_freqs.weight', shape: [8], type: GGMLType.F32, data: new Uint8Array(32) }));
  assert.match(load(g).warnings[0]!, /1 tensor in the file is not read by a Llama\/Yi model and ignored \(refused with --strict\): rope_freqs.weight$/);
  refused(g, { strict: true }, /strict: 1 tensor is in the file but not read by a Llama\/Yi model: rope_freqs.weight/);
  // A clean file gives no warning, strict or not.
  assert.deepEqual(load(hfFolder(), { strict: true }).warnings, []);
});

test('tie_word_embeddings: true follows transformers: the embedding serves as lm_head; a stored, different lm_head is kept, with a warning', () => {
  const seed = hfSeedTensors();
  const embed = seed.find((t) => t.name === 'model.embed_tokens.weight')!;
  const head = seed.find((t) => t.name === 'lm_head.weight')!;
  // Both stored and different: transformers (v5 tie_weights) warns and does not tie them.
  const both = load(hfFolder({ config: { tie_word_embeddings: true } }));
  assert.deepEqual(new Float32Array(both.lmHead.buffer), f32(head));
  assert.deepEqual(new Float32Array(both.embed.buffer), f32(embed));
  assert.equal(both.warnings.length, 1);
  assert.match(both.warnings[0]!, /tie_word_embeddings is true but lm_head.weight differs from model.embed_tokens.weight; both are used as stored \(untied\), as transformers does/);
  // Both stored and equal (as torch .bin checkpoints save tied weights): tied, nothing to say.
  const same = seed.map((t) => (t.name === 'lm_head.weight' ? { ...t, data: embed.data } : t));
  assert.deepEqual(load(hfFolder({ config: { tie_word_embeddings: true }, tensors: same })).warnings, []);
  // Only the embedding: lm_head is the embedding.
  const onlyEmbed = load(hfFolder({ config: { tie_word_embeddings: true }, tensors: seed.filter((t) => t !== head) }));
  assert.deepEqual(onlyEmbed.lmHead, onlyEmbed.embed);
  assert.deepEqual(onlyEmbed.warnings, []);
  // Only lm_head: transformers ties the other way round, so the embedding is lm_head.
  const onlyHead = load(hfFolder({ config: { tie_word_embeddings: true }, tensors: seed.filter((t) => t !== embed) }));
  assert.deepEqual(new Float32Array(onlyHead.embed.buffer), f32(head));
  assert.deepEqual(onlyHead.lmHead, onlyHead.embed);
  // Untied and no lm_head: refused, saying why.
  refused(hfFolder({ tensors: seed.filter((t) => t !== head) }), {}, /tensor lm_head.weight is missing \(and tie_word_embeddings is false\)/);
});

/** The seed's tensors with NaN and Inf written into two of them. */
function withNonFinite(): SafetensorsWriteTensor[] {
  return hfSeedTensors().map((t) => {
    if (t.name !== 'model.layers.1.mlp.up_proj.weight' && t.name !== 'model.embed_tokens.weight') return t;
    const v = f32(t);
    if (t.name === 'model.embed_tokens.weight') v[5 * 32 + 7] = Infinity;
    else [v[3 * 32 + 1], v[40 * 32]] = [NaN, -Infinity];
    return { ...t, data: new Uint8Array(v.buffer) };
  });
}

test('NaN/Inf weights: named by tensor with check, loaded as stored without it', () => {
  const hf = hfFolder({ tensors: withNonFinite() });
  assert.deepEqual(load(hf).warnings, []);
  refused(
    hf,
    { check: true },
    /2 tensors have NaN or infinite weights: model.embed_tokens.weight: 1 NaN\/Inf values \(the first at row 5, column 7\), model.layers.1.mlp.up_proj.weight: 2 NaN\/Inf values \(the first at row 3, column 1\)/,
  );
  // In memory in another encoding too (the file's bytes are what is checked).
  refused(hf, { check: true, dtype: 'bf16' }, /model.layers.1.mlp.up_proj.weight: 2 NaN\/Inf values/);
  // A Q8_0 block whose f16 scale is Inf (its integer quants look fine).
  const q = ggufFile((_m, tensors) => {
    const t = tensors.find((x) => x.name === 'blk.0.ffn_down.weight')!; // [32, 64]: two blocks a row
    const b = (t.data as Uint8Array).slice();
    new DataView(b.buffer).setUint16(34, 0x7c00, true); // block 1 of row 0: +Inf
    t.data = b;
  }, 'q8_0');
  refused(q, { check: true }, /1 tensor has NaN or infinite weights: model.layers.0.mlp.down_proj.weight: 32 weights with a NaN\/Inf block scale \(the first block at row 0, column 32\)/);
});

test('yi convert always refuses NaN/Inf weights, naming the tensor, and writes nothing', async () => {
  const hf = hfFolder({ tensors: withNonFinite() });
  const out = join(dir, 'nan.gguf');
  await assert.rejects(convertCheckpoint(hf, out, { runtime: rt }), (e: unknown) => e instanceof LoadError && /tensor model.embed_tokens.weight has 1 NaN\/Inf values \(the first at row 5, column 7\); the output was not written/.test(e.message));
  assert.equal(existsSync(out), false);
});

test('yi convert checks the tensor set as loading does: extra layers refused, unused tensors left out with a warning or refused when strict', async () => {
  const out = join(dir, 'out.gguf');
  await assert.rejects(convertCheckpoint(hfFolder({ config: { num_hidden_layers: 1 } }), out, { runtime: rt }), /loading would silently drop 9 tensors/);
  const extra = [...hfSeedTensors(), { name: 'vision_tower.proj.weight', dtype: 'F32' as const, shape: [2], data: new Uint8Array(8) }];
  const hf = hfFolder({ tensors: extra });
  await assert.rejects(convertCheckpoint(hf, out, { runtime: rt, strict: true }), /strict: 1 tensor is in the file but not read by a Llama\/Yi model: vision_tower.proj.weight/);
  const res = await convertCheckpoint(hf, out, { runtime: rt });
  assert.ok(res.warnings.some((w) => /vision_tower.proj.weight/.test(w)));
  assert.equal(res.tensors, 3 + SEED_CONFIG.layers * 9);
});

// Checkpoint conversion: HF folder <-> GGUF, checked by loading both sides and comparing logits
// bit for bit, by comparing quantized bytes with quantize() + toGGUF(), and by comparing tokenizers.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { GGMLType, openGGUF } from '../../src/formats/gguf.js';
import { permuteQKForGGUF } from '../../src/formats/llama-names.js';
import { openSafetensors } from '../../src/formats/safetensors.js';
import { convertCheckpoint, ConvertError } from '../../src/model/convert.js';
import { loadModel } from '../../src/model/load.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { DType } from '../../src/tensor/dtype.js';
import { quantize, toGGUF } from '../../src/tensor/ops/quant.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { CHATML_TEMPLATE } from '../../src/tokenizer/chat.js';
import { encodeModelProto, ModelType, PieceType } from '../../src/tokenizer/sentencepiece-proto.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { repoRoot } from '../paths.js';

const fixture = join(repoRoot, 'test', 'fixtures', 'yi-tiny');
const ref = JSON.parse(readFileSync(join(fixture, 'logits.json'), 'utf8')) as { tokens: number[] };
const HEADS = 4;
const KV_HEADS = 2;

let rt: Runtime;
let tmp: string;
before(async () => {
  rt = await Runtime.create({ threads: 1, arenaBytes: 64 << 20 });
  tmp = mkdtempSync(join(tmpdir(), 'yi-convert-'));
});
after(async () => {
  await rt.close();
  rmSync(tmp, { recursive: true, force: true });
});

function logits(path: string, dtype?: DType): Float32Array {
  const model = loadModel(rt, path, dtype ? { dtype } : {});
  try {
    return model.forward(ref.tokens).toArray();
  } finally {
    model.dispose();
  }
}

function ggufTensors(path: string): Map<string, { type: number; shape: number[]; bytes: Uint8Array }> {
  const g = openGGUF(path);
  try {
    return new Map(g.tensors.map((t) => [t.name, { type: t.type, shape: t.shape, bytes: g.readTensorBytes(t) }]));
  } finally {
    g.close();
  }
}

function ggufMeta(path: string): Map<string, unknown> {
  const g = openGGUF(path);
  g.close();
  return g.metadata;
}

function hfTensors(dir: string): Map<string, Uint8Array> {
  const st = openSafetensors(join(dir, 'model.safetensors'));
  try {
    return new Map([...st.tensors.keys()].map((n) => [n, st.readTensorBytes(n)]));
  } finally {
    st.close();
  }
}

test('HF -> GGUF f32: llama.cpp metadata, F32 tensors, and logits bit-identical to the HF folder', async () => {
  const out = join(tmp, 'f32.gguf');
  const seen: number[] = [];
  const res = await convertCheckpoint(fixture, out, { runtime: rt, onProgress: (d, t) => seen.push(d / t) });
  assert.equal(res.type, 'f32');
  assert.equal(res.tensors, 21);
  assert.equal(seen.length, 21);
  assert.equal(seen.at(-1), 1);
  const meta = ggufMeta(out);
  assert.equal(meta.get('general.architecture'), 'llama');
  assert.equal(meta.get('general.name'), 'yi-tiny');
  assert.equal(meta.get('general.file_type'), 0);
  assert.equal(meta.get('general.quantization_version'), 2);
  assert.equal(meta.get('llama.block_count'), 2);
  assert.equal(meta.get('llama.attention.head_count_kv'), KV_HEADS);
  assert.equal(meta.get('tokenizer.ggml.model'), 'no_vocab');
  assert.match(res.warnings.join('\n'), /no tokenizer/);
  for (const t of ggufTensors(out).values()) assert.equal(t.type, GGMLType.F32);
  assert.deepEqual(logits(out), logits(fixture, 'f32'));
});

test('q/k rows are permuted for llama.cpp in the GGUF (and only q/k)', async () => {
  const out = join(tmp, 'f32.gguf');
  if (!existsSync(out)) await convertCheckpoint(fixture, out, { runtime: rt });
  const g = ggufTensors(out);
  const hf = hfTensors(fixture);
  for (const l of [0, 1]) {
    const q = hf.get(`model.layers.${l}.self_attn.q_proj.weight`)!;
    const k = hf.get(`model.layers.${l}.self_attn.k_proj.weight`)!;
    const gq = g.get(`blk.${l}.attn_q.weight`)!.bytes;
    const gk = g.get(`blk.${l}.attn_k.weight`)!.bytes;
    assert.notDeepEqual(gq, q);
    assert.notDeepEqual(gk, k);
    assert.deepEqual(gq, permuteQKForGGUF(q, 64, HEADS));
    assert.deepEqual(gk, permuteQKForGGUF(k, 32, KV_HEADS));
    assert.deepEqual(g.get(`blk.${l}.attn_v.weight`)!.bytes, hf.get(`model.layers.${l}.self_attn.v_proj.weight`));
  }
});

for (const type of ['q8_0', 'q4_0'] as const) {
  test(`HF -> GGUF ${type}: bytes equal quantize() + toGGUF(), logits equal the HF folder loaded as ${type}`, async () => {
    const out = join(tmp, `${type}.gguf`);
    await convertCheckpoint(fixture, out, { type, runtime: rt });
    const meta = ggufMeta(out);
    assert.equal(meta.get('general.file_type'), type === 'q8_0' ? 7 : 2);
    const g = ggufTensors(out);
    const st = openSafetensors(join(fixture, 'model.safetensors'));
    try {
      for (const [name, info] of st.tensors) {
        const ggufName = name
          .replace('model.embed_tokens', 'token_embd')
          .replace('lm_head', 'output')
          .replace('model.norm', 'output_norm')
          .replace(/^model\.layers\.(\d+)\./, 'blk.$1.')
          .replace('self_attn.q_proj', 'attn_q')
          .replace('self_attn.k_proj', 'attn_k')
          .replace('self_attn.v_proj', 'attn_v')
          .replace('self_attn.o_proj', 'attn_output')
          .replace('mlp.gate_proj', 'ffn_gate')
          .replace('mlp.up_proj', 'ffn_up')
          .replace('mlp.down_proj', 'ffn_down')
          .replace('input_layernorm', 'attn_norm')
          .replace('post_attention_layernorm', 'ffn_norm');
        const got = g.get(ggufName);
        assert.ok(got, `${ggufName} missing`);
        const raw = st.readTensorBytes(name);
        if (info.shape.length === 1) {
          // Norms stay F32 in GGUF, as llama.cpp writes them.
          assert.equal(got.type, GGMLType.F32, ggufName);
          assert.deepEqual(got.bytes, raw);
          continue;
        }
        assert.equal(got.type, type === 'q8_0' ? GGMLType.Q8_0 : GGMLType.Q4_0, ggufName);
        const f32 = Tensor.fromF32(rt, new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4), info.shape);
        const q = quantize(f32, type);
        let want = toGGUF(q);
        q.dispose();
        f32.dispose();
        if (/attn_[qk]\./.test(ggufName)) want = permuteQKForGGUF(want, info.shape[0]!, ggufName.includes('attn_q') ? HEADS : KV_HEADS);
        assert.deepEqual(got.bytes, want, ggufName);
      }
    } finally {
      st.close();
    }
    assert.deepEqual(logits(out), logits(fixture, type));
  });
}

test('GGUF -> HF f32: same tensor bytes, same logits; HF -> GGUF -> HF is byte-identical', async () => {
  const g1 = join(tmp, 'rt1.gguf');
  const h1 = join(tmp, 'rt-hf1');
  const g2 = join(tmp, 'rt2.gguf');
  const h2 = join(tmp, 'rt-hf2');
  await convertCheckpoint(fixture, g1, { runtime: rt });
  await convertCheckpoint(g1, h1, { runtime: rt });
  const a = hfTensors(fixture);
  const b = hfTensors(h1);
  assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort());
  for (const [n, bytes] of a) assert.deepEqual(b.get(n), bytes, n);
  assert.deepEqual(logits(h1), logits(fixture, 'f32'));
  const cfg = JSON.parse(readFileSync(join(h1, 'config.json'), 'utf8'));
  assert.equal(cfg.torch_dtype, 'float32');
  assert.equal(cfg.num_key_value_heads, KV_HEADS);
  assert.deepEqual(JSON.parse(readFileSync(join(h1, 'generation_config.json'), 'utf8')), { bos_token_id: 1, eos_token_id: 2, pad_token_id: 0 });

  await convertCheckpoint(h1, g2, { runtime: rt, name: 'yi-tiny' });
  await convertCheckpoint(g2, h2, { runtime: rt });
  assert.deepEqual(readFileSync(g2), readFileSync(g1));
  assert.deepEqual(readFileSync(join(h2, 'model.safetensors')), readFileSync(join(h1, 'model.safetensors')));
  assert.deepEqual(readFileSync(join(h2, 'config.json')), readFileSync(join(h1, 'config.json')));
});

test('GGUF q8_0 -> HF bf16: dequantized, BF16 safetensors, logits close to f32', async () => {
  const h = join(tmp, 'bf16-hf');
  await convertCheckpoint(join(tmp, 'q8_0.gguf'), h, { type: 'bf16', runtime: rt });
  const st = openSafetensors(join(h, 'model.safetensors'));
  for (const t of st.tensors.values()) assert.equal(t.dtype, 'BF16');
  st.close();
  assert.equal(JSON.parse(readFileSync(join(h, 'config.json'), 'utf8')).torch_dtype, 'bfloat16');
  const want = logits(fixture, 'f32');
  const got = logits(h);
  let err = 0;
  for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i]! - want[i]!));
  assert.ok(err < 0.1, `max abs error ${err}`);
});

/** A small Yi-like SentencePiece BPE model: Yi's special ids, no dummy prefix, fewer pieces than the embedding rows. */
function tinyTokenizerModel(): Uint8Array {
  const specials: Array<[string, PieceType]> = [
    ['<unk>', PieceType.UNKNOWN],
    ['<|startoftext|>', PieceType.CONTROL],
    ['<|endoftext|>', PieceType.CONTROL],
    ['<fim_prefix>', PieceType.CONTROL],
    ['<fim_middle>', PieceType.CONTROL],
    ['<fim_suffix>', PieceType.CONTROL],
    ['<|im_start|>', PieceType.CONTROL],
    ['<|im_end|>', PieceType.CONTROL],
    ['<|im_sep|>', PieceType.CONTROL],
  ];
  const merged = ['▁t', 'th', 'he', '▁the', 'in', 'er', '▁a', 'at', '▁c', '▁s', 'an', 'on', 'en', '▁w', 'or', 'ld', '▁wor', '▁world'];
  const chars = ['▁', ...'abcdefghijklmnopqrstuvwxyz', ...'0123456789', '.', ','];
  const pieces = [
    ...specials.map(([piece, type]) => ({ piece, score: 0, type })),
    ...merged.map((piece, i) => ({ piece, score: -i, type: PieceType.NORMAL })),
    ...chars.map((piece, i) => ({ piece, score: -100 - i, type: PieceType.NORMAL })),
  ];
  return encodeModelProto({
    pieces,
    trainerSpec: { modelType: ModelType.BPE, vocabSize: pieces.length, unkId: 0, bosId: 1, eosId: 2, padId: 0, bosPiece: '<|startoftext|>', eosPiece: '<|endoftext|>', splitDigits: true },
    normalizerSpec: { name: 'identity', addDummyPrefix: false, removeExtraWhitespaces: false, escapeWhitespaces: true },
  });
}

test('tokenizer: HF folder -> GGUF -> HF folder encodes alike; specials, chat template, eos [2, 7]', async () => {
  const dir = join(tmp, 'with-tokenizer');
  cpSync(fixture, dir, { recursive: true });
  writeFileSync(join(dir, 'tokenizer.model'), tinyTokenizerModel());
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ add_bos_token: false, add_eos_token: false, chat_template: CHATML_TEMPLATE }));
  const g = join(tmp, 'tok.gguf');
  const res = await convertCheckpoint(dir, g, { runtime: rt });
  assert.equal(res.tokenizer, true);
  const meta = ggufMeta(g);
  assert.equal(meta.get('tokenizer.ggml.model'), 'llama');
  assert.equal((meta.get('tokenizer.ggml.tokens') as string[]).length, 96);
  assert.equal((meta.get('tokenizer.ggml.tokens') as string[])[95], '[PAD95]');
  assert.ok(meta.get('tokenizer.ggml.scores') instanceof Float32Array);
  assert.ok(meta.get('tokenizer.ggml.token_type') instanceof Int32Array);
  assert.equal((meta.get('tokenizer.ggml.token_type') as Int32Array)[0], PieceType.UNKNOWN);
  assert.equal(meta.get('tokenizer.ggml.bos_token_id'), 1);
  assert.equal(meta.get('tokenizer.ggml.eos_token_id'), 2);
  assert.equal(meta.get('tokenizer.ggml.unknown_token_id'), 0);
  assert.equal(meta.get('tokenizer.ggml.add_bos_token'), false);
  assert.equal(meta.get('tokenizer.ggml.add_space_prefix'), false);
  assert.equal(meta.get('tokenizer.chat_template'), CHATML_TEMPLATE);

  const texts = ['the world', 'hello  world, 42.', ' the cat sat', 'ZZ ünknown', '<|im_start|>user\nhi<|im_end|>\n'];
  const a = Tokenizer.load(dir);
  const b = Tokenizer.load(g);
  for (const t of texts) {
    assert.deepEqual(b.encode(t), a.encode(t), t);
    assert.deepEqual(b.encode(t, { parseSpecial: true }), a.encode(t, { parseSpecial: true }), t);
  }
  assert.deepEqual(a.encode('<|im_end|>', { parseSpecial: true }), [7]);

  const h = join(tmp, 'tok-hf');
  await convertCheckpoint(g, h, { runtime: rt });
  assert.deepEqual(JSON.parse(readFileSync(join(h, 'generation_config.json'), 'utf8')).eos_token_id, [2, 7]);
  const tc = JSON.parse(readFileSync(join(h, 'tokenizer_config.json'), 'utf8'));
  assert.equal(tc.add_bos_token, false);
  assert.equal(tc.bos_token, '<|startoftext|>');
  assert.equal(tc.eos_token, '<|endoftext|>');
  assert.equal(tc.unk_token, '<unk>');
  assert.equal(tc.chat_template, CHATML_TEMPLATE);
  assert.ok(tc.additional_special_tokens.includes('<|im_sep|>'));
  const c = Tokenizer.load(h);
  for (const t of texts) assert.deepEqual(c.encode(t), a.encode(t), t);
  assert.deepEqual(logits(h), logits(fixture, 'f32'));
});

test('errors: missing input, unsupported type, q8_0 to a Hugging Face folder, same path, sharded output folder', async () => {
  await assert.rejects(convertCheckpoint(join(tmp, 'nope'), join(tmp, 'x.gguf'), { runtime: rt }), /no such file or folder/);
  await assert.rejects(convertCheckpoint(fixture, join(tmp, 'x.gguf'), { type: 'q5_k' as never, runtime: rt }), (e) => e instanceof ConvertError && /unsupported type "q5_k"/.test(e.message));
  await assert.rejects(convertCheckpoint(fixture, join(tmp, 'hf-q8'), { type: 'q8_0', runtime: rt }), (e) => e instanceof ConvertError && /cannot be written to a Hugging Face folder/.test(e.message));
  await assert.rejects(convertCheckpoint(join(tmp, 'q8_0.gguf'), join(tmp, 'q8_0.gguf'), { runtime: rt }), /same path/);
  const sharded = join(tmp, 'sharded');
  cpSync(fixture, sharded, { recursive: true });
  writeFileSync(join(sharded, 'model.safetensors.index.json'), '{"weight_map": {}}');
  await assert.rejects(convertCheckpoint(join(tmp, 'q8_0.gguf'), sharded, { type: 'f32', runtime: rt }), /sharded checkpoint/);
  assert.ok(!existsSync(join(tmp, 'x.gguf')));
  assert.ok(!existsSync(join(tmp, 'hf-q8')));
});

test('without a runtime given, one is created and closed', async () => {
  const out = join(tmp, 'own-rt.gguf');
  await convertCheckpoint(fixture, out, { type: 'f16' });
  const g = ggufTensors(out);
  assert.equal(g.get('blk.0.attn_q.weight')!.type, GGMLType.F16);
  assert.equal(g.get('blk.0.attn_norm.weight')!.type, GGMLType.F32);
  assert.equal(ggufMeta(out).get('general.file_type'), 1);
});

// Valid seed checkpoints for the fuzz suites: a small Llama config (GQA 2:1, every matrix a whole
// number of 32-weight blocks) with seeded random weights, as a Hugging Face folder (config.json,
// generation_config.json, model.safetensors) and as GGUF files in F32 and Q8_0 with tokenizer
// metadata (token list, scores, types, chat template) so that string and array fields are there
// to mutate.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GGMLType, ggmlTypeOfDType } from '../../src/formats/ggml-types.js';
import { gguf, GGUFValueType, writeGGUF, type GGUFTyped, type GGUFValue, type GGUFWriteTensor } from '../../src/formats/gguf.js';
import { hfToGGUFName, hfToGGUFRowOrder, ropePermutedKind } from '../../src/formats/llama-names.js';
import { writeSafetensors, type SafetensorsWriteTensor } from '../../src/formats/safetensors.js';
import { toGGUFMetadata, toHFConfig, type YiConfig } from '../../src/model/config.js';
import { parameterShapes } from '../../src/model/weights.js';
import { f32ToF16Bits } from '../../src/tensor/half.js';
import type { KType } from '../../src/tensor/dtype.js';
import { K_LAYOUT, randomBlocks } from '../tensor/ops/kref.js';
import { seeded } from './harness.js';

export const SEED_CONFIG: YiConfig = {
  vocabSize: 64,
  hidden: 32,
  layers: 2,
  heads: 2,
  kvHeads: 1,
  headDim: 16,
  ffn: 64,
  maxPositions: 64,
  ropeTheta: 10000,
  rmsEps: 1e-5,
  bosId: 1,
  eosId: 2,
  padId: 0,
  tieEmbeddings: false,
};

/** f32 weights in [-0.5, 0.5), norms near 1, the same for the same seed. */
function weights(seed: number): [string, number[], Float32Array][] {
  const r = seeded(seed);
  return parameterShapes(SEED_CONFIG).map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = shape.length === 1 ? 1 + (r(1000) - 500) / 5000 : (r(1000) - 500) / 1000;
    return [name, shape, v];
  });
}

/** The seed's tensors as safetensors F32 (Hugging Face names and orientation). */
export function hfSeedTensors(): SafetensorsWriteTensor[] {
  return weights(1).map(([name, shape, v]) => ({ name, dtype: 'F32' as const, shape, data: new Uint8Array(v.buffer) }));
}

/**
 * Writes config.json (with `config` merged over the seed's), generation_config.json and
 * model.safetensors (F32; `tensors` instead of the seed's when given) into `dir`.
 */
export function writeHFSeed(dir: string, opts: { config?: Record<string, unknown>; tensors?: SafetensorsWriteTensor[] } = {}): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...toHFConfig(SEED_CONFIG, { torchDtype: 'float32' }), ...opts.config }, null, 2));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 1, eos_token_id: [2, 7], do_sample: true, temperature: 0.6, top_p: 0.8, max_new_tokens: 32 }, null, 2));
  writeSafetensors(join(dir, 'model.safetensors'), opts.tensors ?? hfSeedTensors(), { format: 'pt' });
}

/** GGUF Q8_0 blocks of rows of `v` (llama.cpp's reference rounding is not needed: any finite scale is valid). */
function q8_0(v: Float32Array): Uint8Array {
  const out = new Uint8Array((v.length / 32) * 34);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < v.length / 32; b++) {
    let amax = 0;
    for (let i = 0; i < 32; i++) amax = Math.max(amax, Math.abs(v[b * 32 + i]!));
    const d = amax / 127;
    dv.setUint16(b * 34, f32ToF16Bits(d), true);
    for (let i = 0; i < 32; i++) dv.setInt8(b * 34 + 2 + i, d === 0 ? 0 : Math.round(v[b * 32 + i]! / d));
  }
  return out;
}

/** Rows of q/k in llama.cpp's order, as the converter writes them. */
function ggufRows(name: string, shape: number[], v: Float32Array): Float32Array {
  const kind = ropePermutedKind(name);
  if (!kind) return v;
  const [rows, cols] = shape as [number, number];
  const order = hfToGGUFRowOrder(rows, kind === 'q' ? SEED_CONFIG.heads : SEED_CONFIG.kvHeads);
  const out = new Float32Array(v.length);
  for (let r = 0; r < rows; r++) out.set(v.subarray(order[r]! * cols, (order[r]! + 1) * cols), r * cols);
  return out;
}

/** The seed's GGUF metadata: llama.* keys, a name, and a small tokenizer (tokens, scores, types, chat template). */
export function ggufSeedMetadata(type: 'f32' | 'q8_0' = 'f32'): Map<string, GGUFValue | GGUFTyped> {
  const meta = toGGUFMetadata(SEED_CONFIG);
  meta.set('general.name', 'fuzz seed');
  meta.set('general.file_type', gguf.u32(type === 'f32' ? 0 : 7));
  meta.set('tokenizer.ggml.model', 'llama');
  meta.set('tokenizer.ggml.tokens', Array.from({ length: SEED_CONFIG.vocabSize }, (_, i) => (i < 3 ? ['<unk>', '<s>', '</s>'][i]! : `tok${i}`)));
  meta.set('tokenizer.ggml.scores', gguf.arrayOf(GGUFValueType.FLOAT32, Float32Array.from({ length: SEED_CONFIG.vocabSize }, (_, i) => -i)));
  meta.set('tokenizer.ggml.token_type', gguf.arrayOf(GGUFValueType.INT32, Int32Array.from({ length: SEED_CONFIG.vocabSize }, (_, i) => (i < 3 ? 3 : 1))));
  meta.set('tokenizer.chat_template', "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}");
  return meta;
}

/** The seed's tensors with GGUF names and q/k row order: matrices in `type`, norms F32. */
export function ggufSeedTensors(type: 'f32' | 'q8_0' = 'f32'): GGUFWriteTensor[] {
  return weights(1).map(([name, shape, v]) => {
    const rows = ggufRows(name, shape, v);
    const quant = type === 'q8_0' && shape.length === 2;
    return { name: hfToGGUFName(name)!, shape, type: quant ? GGMLType.Q8_0 : GGMLType.F32, data: quant ? q8_0(rows) : new Uint8Array(rows.buffer) };
  });
}

/** Writes the seed GGUF (matrices in `type`) into `dir` and returns its bytes. */
export function ggufSeed(dir: string, type: 'f32' | 'q8_0'): Uint8Array {
  const path = join(dir, `seed-${type}.gguf`);
  writeGGUF(path, { metadata: ggufSeedMetadata(type), tensors: ggufSeedTensors(type) });
  return new Uint8Array(readFileSync(path)); // a copy: Buffer.slice() would share memory with the mutations
}

/** The k-type seed's config: SEED_CONFIG with matrix widths of whole 256-weight super-blocks, one layer. */
export const K_SEED_CONFIG: YiConfig = { ...SEED_CONFIG, hidden: 256, ffn: 256, heads: 4, kvHeads: 2, headDim: 64, layers: 1 };

/** The k-type seed's matrix types by GGUF name: every GGUF block type llama-quantize writes, once. */
const K_SEED_TYPES: Record<string, KType> = {
  'token_embd.weight': 'q4_k',
  'output.weight': 'q6_k',
  'blk.0.attn_q.weight': 'q5_k',
  'blk.0.attn_k.weight': 'q2_k',
  'blk.0.attn_v.weight': 'q3_k',
  'blk.0.attn_output.weight': 'q4_1',
  'blk.0.ffn_gate.weight': 'q5_0',
  'blk.0.ffn_up.weight': 'q5_1',
  'blk.0.ffn_down.weight': 'q4_k',
};

/** Writes a GGUF of K_SEED_CONFIG whose matrices are random valid blocks of every k-type into `dir`; returns its bytes. */
export function ggufKSeed(dir: string): Uint8Array {
  const r = seeded(5);
  const next = () => r(1 << 20) / (1 << 20);
  const meta = toGGUFMetadata(K_SEED_CONFIG);
  for (const [k, v] of ggufSeedMetadata('f32')) if (k.startsWith('tokenizer.') || k === 'general.name') meta.set(k, v);
  const tensors: GGUFWriteTensor[] = parameterShapes(K_SEED_CONFIG).map(([hf, shape]) => {
    const name = hfToGGUFName(hf)!;
    if (shape.length === 1) return { name, shape, type: GGMLType.F32, data: new Uint8Array(new Float32Array(shape[0]!).fill(1).buffer) };
    const t = K_SEED_TYPES[name]!;
    return { name, shape, type: ggmlTypeOfDType(t), data: randomBlocks(t, (shape[0]! * shape[1]!) / K_LAYOUT[t].block, next, 1e-4) };
  });
  const path = join(dir, 'seed-kmix.gguf');
  writeGGUF(path, { metadata: meta, tensors });
  return new Uint8Array(readFileSync(path));
}

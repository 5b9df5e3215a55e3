// test:reference check of the GGUF block types against llama.cpp (not part of npm test):
//   node dist/test/reference/kquant-llamacpp.js make DIR          random models -> DIR/f32.gguf, DIR/deep-f32.gguf (+ HF folders)
//   (llama-quantize DIR/f32.gguf DIR/<type>.gguf <TYPE>, and kquant_dequant.py writing DIR/<type>.ref/)
//   node dist/test/reference/kquant-llamacpp.js check DIR TYPE...
//   node dist/test/reference/kquant-llamacpp.js fixture DIR OUT.json TYPE...   (the npm test fixture)
//   node dist/test/reference/kquant-llamacpp.js bytes DIR TYPE...   (our quantizers vs llama-quantize's bytes)
//   node dist/test/reference/kquant-llamacpp.js same A.gguf B.gguf   (yi quantize's output vs llama-quantize's)
// For each quantized file: every tensor dequantized by our kernels equals gguf-py's dequantization
// (llama.cpp's numpy port) to the last bit (up to f32 rounding of the scale products), and the model
// loaded as stored (integer-dot GEMV for decode, dequantized panels + f32 GEMM for prompts) gives logits
// within BOUND of the same file dequantized to f32.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dtypeOfGGMLType, ggmlTypeName } from '../../src/formats/ggml-types.js';
import { openGGUF } from '../../src/formats/gguf.js';
import { preset, type YiConfig } from '../../src/model/config.js';
import { convertCheckpoint } from '../../src/model/convert.js';
import { loadModel } from '../../src/model/load.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { isKType } from '../../src/tensor/dtype.js';
import { K_QUANTIZABLE, kDequantizeAt, kQuantizeAt } from '../../src/tensor/ops/kquant.js';
import { YiTrainable } from '../../src/model/trainable.js';
import { writeModelFolder } from '../../src/train/checkpoint.js';
import { encodeModelProto } from '../../src/tokenizer/sentencepiece-proto.js';
import { tinyTokenizerProto } from '../model/tiny-tokenizer.js';

// Every matrix width a whole number of 256-weight super-blocks, so llama-quantize keeps k-quants everywhere.
const CFG: YiConfig = { ...preset('tiny'), vocabSize: 96, maxPositions: 64, hidden: 256, heads: 4, kvHeads: 2, headDim: 64, ffn: 512 };
const PROMPT = [1, 17, 33, 5, 60, 12, 80, 7];
/** Worst logit error, as a fraction of the largest reference logit: int8 activations against f32 ones. */
const BOUND = 0.05;

/** 16 layers of narrow matrices: llama-quantize's per-layer choices (use_more_bits, first eighth) show. */
const DEEP: YiConfig = { ...CFG, layers: 16, ffn: 256 };

async function make(dir: string): Promise<void> {
  const rt = await Runtime.create({ threads: 2, arenaBytes: 64 << 20 });
  for (const [name, cfg] of [['', CFG], ['deep-', DEEP]] as const) {
    const m = YiTrainable.create(rt, cfg, { kind: 'random', seed: 7 }, { maxSeqLen: 8, arena: rt.arenas[0] });
    try {
      writeModelFolder(join(dir, `${name}hf`), m);
    } finally {
      m.dispose();
    }
    writeFileSync(join(dir, `${name}hf`, 'tokenizer.model'), encodeModelProto(tinyTokenizerProto()));
    await convertCheckpoint(join(dir, `${name}hf`), join(dir, `${name}f32.gguf`), { type: 'f32', runtime: rt });
  }
  await rt.close();
}

function logitsOf(rt: Runtime, path: string, dtype: 'f32' | undefined): Float32Array[] {
  const model = loadModel(rt, path, { ...(dtype ? { dtype } : {}), contextLength: 32, batch: 8, onMessage: () => {} });
  try {
    const out = [Float32Array.from(model.forward(PROMPT).toArray())];
    for (const id of [3, 9, 44]) out.push(Float32Array.from(model.forward([id]).toArray()));
    return out;
  } finally {
    model.dispose();
  }
}

async function check(dir: string, types: string[]): Promise<void> {
  const rt = await Runtime.create({ threads: 2, arenaBytes: 64 << 20 });
  for (const type of types) {
    const path = join(dir, `${type}.gguf`);
    const g = openGGUF(path);
    const seen = new Set<string>();
    let worstDequant = 0;
    for (const info of g.tensors) {
      const d = dtypeOfGGMLType(info.type);
      if (!d || !isKType(d)) continue;
      seen.add(ggmlTypeName(info.type));
      const refFile = join(dir, `${type}.ref`, `${info.name}.f32`);
      assert.ok(existsSync(refFile), `${refFile} missing (kquant_dequant.py writes it)`);
      const ref = new Float32Array(readFileSync(refFile).buffer.slice(0));
      const n = ref.length;
      const raw = rt.alloc(info.byteLength);
      const out = rt.alloc(n * 4, raw.arena);
      try {
        g.readTensorBytes(info, raw.arena.u8.subarray(raw.offset, raw.offset + info.byteLength));
        kDequantizeAt(rt, raw.arena, d, raw.offset, out.offset, n);
        const ours = raw.arena.f32.subarray(out.offset / 4, out.offset / 4 + n);
        let scale = 0;
        for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(ref[i]!));
        for (let i = 0; i < n; i++) worstDequant = Math.max(worstDequant, Math.abs(ours[i]! - ref[i]!) / scale);
      } finally {
        rt.release(out);
        rt.release(raw);
      }
    }
    g.close();
    // gguf-py computes in f32 with numpy's order; both round the same products (differences are f32 ulps).
    assert.ok(worstDequant < 1e-6, `${type}: dequantization differs from gguf-py by ${worstDequant} of the tensor's range`);
    const got = logitsOf(rt, path, undefined);
    const ref = logitsOf(rt, path, 'f32');
    let worst = 0;
    for (let s = 0; s < got.length; s++) {
      let scale = 0;
      for (const v of ref[s]!) scale = Math.max(scale, Math.abs(v));
      for (let i = 0; i < ref[s]!.length; i++) worst = Math.max(worst, Math.abs(got[s]![i]! - ref[s]![i]!) / scale);
    }
    console.log(`${type}: block types ${[...seen].join(', ')}; dequantization vs gguf-py ${worstDequant.toExponential(2)}; logits vs dequantized f32 ${(worst * 100).toFixed(2)}% (bound ${BOUND * 100}%)`);
    assert.ok(worst < BOUND, `${type}: logits differ from the dequantized f32 model by ${worst}`);
  }
  await rt.close();
}

/** Blocks of each k-type from llama-quantize's files and gguf-py's values for them: the checked-in
 *  fixture test/fixtures/kquant-llamacpp.json that npm test compares our dequantization with. */
function fixture(dir: string, out: string, files: string[]): void {
  const entries: { type: string; file: string; tensor: string; blocks: string; values: string; input?: string }[] = [];
  const done = new Set<string>();
  const f32 = openGGUF(join(dir, 'f32.gguf'));
  for (const f of files) {
    const g = openGGUF(join(dir, `${f}.gguf`));
    for (const info of g.tensors) {
      const d = dtypeOfGGMLType(info.type);
      if (!d || !isKType(d) || done.has(d)) continue;
      done.add(d);
      const bytes = g.readTensorBytes(info);
      // 256 values: one super-block, or eight 32-weight blocks, from the middle of the tensor.
      const n = 256;
      const blockBytes = (info.byteLength / info.shape.reduce((a, b) => a * b, 1)) * n;
      const at = Math.floor(info.byteLength / blockBytes / 2) * blockBytes;
      const ref = readFileSync(join(dir, `${f}.ref`, `${info.name}.f32`));
      const vat = (at / blockBytes) * n * 4;
      // The F32 values llama-quantize quantized into these blocks, for the quantizers it has.
      const input = K_QUANTIZABLE.includes(d) ? f32.readTensorBytes(f32.tensors.find((t) => t.name === info.name)!).subarray(vat, vat + n * 4) : undefined;
      entries.push({
        type: d,
        file: `llama-quantize ${f}`,
        tensor: info.name,
        blocks: Buffer.from(bytes.subarray(at, at + blockBytes)).toString('base64'),
        values: ref.subarray(vat, vat + n * 4).toString('base64'),
        ...(input ? { input: Buffer.from(input).toString('base64') } : {}),
      });
    }
    g.close();
  }
  f32.close();
  writeFileSync(out, JSON.stringify({ about: 'blocks written by llama.cpp llama-quantize (input: the F32 values it quantized) and their values dequantized by gguf-py; made by test/reference/kquant-llamacpp.ts fixture', entries }, null, 1) + '\n');
}

/** Our quantizers on llama-quantize's F32 input give its output bytes, tensor by tensor. */
async function bytesCheck(dir: string, files: string[]): Promise<void> {
  const rt = await Runtime.create({ threads: 2, arenaBytes: 64 << 20 });
  const src = openGGUF(join(dir, 'f32.gguf'));
  for (const f of files) {
    const g = openGGUF(join(dir, `${f}.gguf`));
    const checked = new Map<string, number>();
    for (const info of g.tensors) {
      const d = dtypeOfGGMLType(info.type);
      if (!d || !isKType(d) || !K_QUANTIZABLE.includes(d)) continue;
      const s = src.tensors.find((t) => t.name === info.name)!;
      const want = g.readTensorBytes(info);
      const x = rt.alloc(s.byteLength);
      const y = rt.alloc(info.byteLength, x.arena);
      try {
        src.readTensorBytes(s, x.arena.u8.subarray(x.offset, x.offset + s.byteLength));
        const cols = s.shape[s.shape.length - 1]!;
        kQuantizeAt(rt, x.arena, d, x.offset, y.offset, s.byteLength / 4 / cols, cols);
        const got = x.arena.u8.subarray(y.offset, y.offset + info.byteLength);
        let diff = 0;
        for (let i = 0; i < want.length; i++) if (got[i] !== want[i]) diff++;
        assert.equal(diff, 0, `${f}: ${info.name} (${d}): ${diff} of ${want.length} bytes differ from llama-quantize's`);
        checked.set(d, (checked.get(d) ?? 0) + 1);
      } finally {
        rt.release(y);
        rt.release(x);
      }
    }
    g.close();
    console.log(`${f}: quantizer bytes identical to llama-quantize for ${[...checked].map(([t, n]) => `${n} ${t}`).join(', ')}`);
  }
  src.close();
  await rt.close();
}

/** Two GGUF files hold the same tensors: names, types, shapes and data bytes (yi quantize vs llama-quantize). */
function sameTensors(a: string, b: string): void {
  const ga = openGGUF(a);
  const gb = openGGUF(b);
  try {
    assert.deepEqual(ga.tensors.map((t) => t.name).sort(), gb.tensors.map((t) => t.name).sort(), 'tensor names');
    const types = new Map<string, number>();
    for (const ta of ga.tensors) {
      const tb = gb.tensors.find((t) => t.name === ta.name)!;
      assert.equal(ggmlTypeName(ta.type), ggmlTypeName(tb.type), `${ta.name}: type`);
      assert.deepEqual(ta.shape, tb.shape, `${ta.name}: shape`);
      assert.ok(Buffer.from(ga.readTensorBytes(ta)).equals(Buffer.from(gb.readTensorBytes(tb))), `${ta.name} (${ggmlTypeName(ta.type)}): data bytes differ`);
      types.set(ggmlTypeName(ta.type), (types.get(ggmlTypeName(ta.type)) ?? 0) + 1);
    }
    console.log(`${a} = ${b}: ${[...types].map(([t, n]) => `${n} ${t}`).join(', ')}, every byte`);
  } finally {
    ga.close();
    gb.close();
  }
}

const [cmd, dir, ...rest] = process.argv.slice(2);
if (cmd === 'make' && dir) await make(dir);
else if (cmd === 'fixture' && dir && rest.length > 1) fixture(dir, rest[0]!, rest.slice(1));
else if (cmd === 'check' && dir) await check(dir, rest);
else if (cmd === 'bytes' && dir) await bytesCheck(dir, rest);
else if (cmd === 'same' && dir && rest[0]) sameTensors(dir, rest[0]);
// npm test's directory walk imports this file too: without a command it does nothing.
else if (cmd !== undefined) {
  console.error('usage: kquant-llamacpp.js make DIR | check DIR TYPE... | fixture DIR OUT.json TYPE... | bytes DIR TYPE... | same A.gguf B.gguf');
  process.exit(2);
}

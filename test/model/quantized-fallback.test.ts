// Models whose matrix widths are not whole 32-weight blocks (the recipe's tiny model: ffn 172; yi-mini:
// ffn 688) run quantized: matrices that cannot take q8_0/q4_0 fall back to f16, alike in a GGUF written
// by the converter and in load-time quantization, and the engine runs each matrix in its own type.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gguf as g32, GGMLType, GGUFTyped, openGGUF, writeGGUF } from '../../src/formats/gguf.js';
import { preset, type YiConfig } from '../../src/model/config.js';
import { convertCheckpoint } from '../../src/model/convert.js';
import { generate } from '../../src/model/generate.js';
import { loadModel } from '../../src/model/load.js';
import { LoadError } from '../../src/model/source.js';
import { YiModel } from '../../src/model/model.js';
import { YiTrainable } from '../../src/model/trainable.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { writeModelFolder } from '../../src/train/checkpoint.js';
import { encodeModelProto } from '../../src/tokenizer/sentencepiece-proto.js';
import { tinyTokenizer, tinyTokenizerProto } from './tiny-tokenizer.js';
import { relativeError } from './relative-error.js';

const tok = tinyTokenizer();
const PROMPT = tok.encode('hello world, it is');
// Worst-case logit error allowed against f32, as a fraction of the largest f32 logit: these random
// models measure about 1% (q8_0) and 13% (q4_0); a matrix read wrongly (wrong type, wrong rows) is 100%.
const BOUND = { q8_0: 0.03, q4_0: 0.3 } as const;

// The recipe's tiny architecture (ffn 172: w_down's rows are 172 values) with the test tokenizer's
// vocabulary; and one whose hidden size (48) is not whole blocks either, so that the embedding, the
// head and every matrix reading the residual stream fall back while w_down (rows of 128) does not.
const ODD_FFN: YiConfig = { ...preset('tiny'), vocabSize: 96, maxPositions: 64 };
const ODD_HIDDEN: YiConfig = { ...preset('tiny'), vocabSize: 96, maxPositions: 64, hidden: 48, heads: 3, kvHeads: 1, headDim: 16, ffn: 128 };

let rt: Runtime;
let tmp: string;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 64 << 20 });
  tmp = mkdtempSync(join(tmpdir(), 'yi-fallback-'));
});
after(async () => {
  await rt.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A Hugging Face folder (f32 safetensors, config, tokenizer) of random weights of `cfg`. */
function randomFolder(name: string, cfg: YiConfig, seed: number): string {
  const dir = join(tmp, name);
  const m = YiTrainable.create(rt, cfg, { kind: 'random', seed }, { maxSeqLen: 8, arena: rt.arenas[0] });
  try {
    writeModelFolder(dir, m);
  } finally {
    m.dispose();
  }
  writeFileSync(join(dir, 'tokenizer.model'), encodeModelProto(tinyTokenizerProto()));
  return dir;
}

/** Logits of the prompt, then of 3 greedy steps of generate() replayed through forward(). */
function run(model: YiModel): Float32Array[] {
  model.reset();
  const out = [model.forward(PROMPT).toArray()];
  const r = generate(model, tok, PROMPT, { temperature: 0, maxTokens: 3, stopTokens: [] });
  assert.equal(r.tokens.length, 3);
  model.reset();
  model.forward(PROMPT);
  for (const t of r.tokens) out.push(model.forward([t]).toArray());
  return out;
}

function matrixTypes(model: YiModel): Record<string, string> {
  const w = model.weights;
  const l = w.layers[0]!;
  return { embed: w.embed.dtype, lmHead: w.lmHead.dtype, wq: l.wq.dtype, wk: l.wk.dtype, wv: l.wv.dtype, wo: l.wo.dtype, wGate: l.wGate.dtype, wUp: l.wUp.dtype, wDown: l.wDown.dtype };
}

/** Logits of `model` close to those of the f32 model fed the same tokens (its own greedy choices). */
function assertCloseToF32(model: YiModel, f32: YiModel, bound: number, what: string): void {
  model.reset();
  f32.reset();
  const r = generate(model, tok, PROMPT, { temperature: 0, maxTokens: 3, stopTokens: [] });
  const feed = [PROMPT, ...r.tokens.map((t) => [t])];
  model.reset();
  for (const [i, ids] of feed.entries()) {
    const err = relativeError(model.forward(ids).toArray(), f32.forward(ids).toArray());
    assert.ok(err < bound, `${what}, step ${i}: logit error ${err} of the largest logit (bound ${bound})`);
  }
}

const cases = [
  {
    name: 'ffn 172',
    cfg: ODD_FFN,
    // HF field -> whether its rows are whole blocks.
    fits: { embed: true, lmHead: true, wq: true, wk: true, wv: true, wo: true, wGate: true, wUp: true, wDown: false },
    fellBack: ['blk.*.ffn_down.weight (2 tensors, rows of 172)', 'model.layers.*.mlp.down_proj.weight (2 tensors, rows of 172)'],
  },
  {
    name: 'hidden 48',
    cfg: ODD_HIDDEN,
    fits: { embed: false, lmHead: false, wq: false, wk: false, wv: false, wo: false, wGate: false, wUp: false, wDown: true },
    fellBack: ['token_embd.weight (1 tensor, rows of 48)', 'model.embed_tokens.weight (1 tensor, rows of 48)'],
  },
];

for (const [ci, c] of cases.entries()) {
  for (const type of ['q8_0', 'q4_0'] as const) {
    test(`${c.name}: ${type} GGUF and load-time ${type} keep non-block matrices in f16, agree bit for bit and stay close to f32`, async () => {
      const folder = randomFolder(`${c.name.replace(' ', '-')}-${type}`, c.cfg, 11 + ci);
      const gguf = join(tmp, `${c.name.replace(' ', '-')}.${type}.gguf`);
      const res = await convertCheckpoint(folder, gguf, { type, runtime: rt });

      // One summary line for all the fallbacks, not one per tensor; the file still says it is `type`.
      assert.equal(res.type, type);
      const notes = res.warnings.filter((w) => /instead of/.test(w));
      assert.equal(notes.length, 1, res.warnings.join('\n'));
      assert.ok(notes[0]!.includes(c.fellBack[0]!), notes[0]);
      assert.ok(notes[0]!.includes(`kept in f16 instead of ${type}`), notes[0]);
      const g = openGGUF(gguf);
      try {
        assert.equal(g.metadata.get('general.file_type'), type === 'q8_0' ? 7 : 2);
        const ggufType = new Map(g.tensors.map((t) => [t.name, t.type]));
        const want = (fits: boolean) => (fits ? (type === 'q8_0' ? GGMLType.Q8_0 : GGMLType.Q4_0) : GGMLType.F16);
        const names = { embed: 'token_embd', lmHead: 'output', wq: 'blk.1.attn_q', wk: 'blk.1.attn_k', wv: 'blk.1.attn_v', wo: 'blk.1.attn_output', wGate: 'blk.1.ffn_gate', wUp: 'blk.1.ffn_up', wDown: 'blk.1.ffn_down' };
        for (const [field, n] of Object.entries(names)) assert.equal(ggufType.get(`${n}.weight`), want(c.fits[field as keyof typeof c.fits]), n);
        assert.equal(ggufType.get('blk.1.ffn_norm.weight'), GGMLType.F32);
      } finally {
        g.close();
      }

      const expected = Object.fromEntries(Object.entries(c.fits).map(([f, fits]) => [f, fits ? type : 'f16']));
      const fromGGUF = loadModel(rt, gguf, { contextLength: 32, batch: 8 });
      const warnings: string[] = [];
      const levels: string[] = [];
      const atLoad = loadModel(rt, folder, { dtype: type, contextLength: 32, batch: 8, onMessage: (m, level) => (warnings.push(m), levels.push(level)) });
      const f32 = loadModel(rt, folder, { dtype: 'f32', contextLength: 32, batch: 8 });
      try {
        assert.deepEqual(matrixTypes(fromGGUF), expected);
        assert.deepEqual(matrixTypes(atLoad), expected);
        assert.equal(warnings.length, 1, warnings.join('\n'));
        // A choice made for the file, not a fault of it: a note, which --quiet silences.
        assert.deepEqual(levels, ['note']);
        assert.ok(warnings[0]!.includes(c.fellBack[1]!), warnings[0]);
        // The converter and load-time quantization hold the same types and bytes: same logits.
        assert.deepEqual(run(fromGGUF), run(atLoad));
        assertCloseToF32(atLoad, f32, BOUND[type], `${c.name} ${type}`);
      } finally {
        fromGGUF.dispose();
        atLoad.dispose();
        f32.dispose();
      }
    });
  }
}

test('a GGUF with mixed types re-quantizes and converts back: q8_0 -> q4_0 keeps the f16 fallbacks, -> HF loads', async () => {
  const folder = randomFolder('mixed-src', ODD_FFN, 5);
  const q8 = join(tmp, 'mixed.q8_0.gguf');
  await convertCheckpoint(folder, q8, { type: 'q8_0', runtime: rt });
  const q4 = join(tmp, 'mixed.q4_0.gguf');
  const res = await convertCheckpoint(q8, q4, { type: 'q4_0', runtime: rt });
  assert.equal(res.warnings.filter((w) => /instead of q4_0/.test(w)).length, 1);
  const g = openGGUF(q4);
  try {
    assert.equal(g.metadata.get('general.file_type'), 2);
    assert.equal(g.tensors.find((t) => t.name === 'blk.0.ffn_down.weight')!.type, GGMLType.F16);
    assert.equal(g.tensors.find((t) => t.name === 'blk.0.ffn_up.weight')!.type, GGMLType.Q4_0);
  } finally {
    g.close();
  }
  // Without --type, a mixed GGUF copies as it is, and says it is q8_0 (the type of most matrices).
  const copy = join(tmp, 'mixed.copy.gguf');
  assert.equal((await convertCheckpoint(q8, copy, { runtime: rt })).type, 'q8_0');
  const hf = join(tmp, 'mixed-hf');
  assert.equal((await convertCheckpoint(q8, hf, { runtime: rt })).type, 'f32');
  const a = loadModel(rt, q8, { dtype: 'f32', contextLength: 32, batch: 8 });
  const b = loadModel(rt, hf, { contextLength: 32, batch: 8 });
  const c = loadModel(rt, copy, { contextLength: 32, batch: 8 });
  try {
    // q8_0 and f16 weights are exact in f32, so the HF folder holds the GGUF's weights exactly.
    assert.deepEqual(b.forward(PROMPT).toArray(), a.forward(PROMPT).toArray());
    assert.deepEqual(matrixTypes(c), { embed: 'q8_0', lmHead: 'q8_0', wq: 'q8_0', wk: 'q8_0', wv: 'q8_0', wo: 'q8_0', wGate: 'q8_0', wUp: 'q8_0', wDown: 'f16' });
  } finally {
    a.dispose();
    b.dispose();
    c.dispose();
  }
});

test('random models of the recipe\'s tiny preset (ffn 172) run in q8_0 and q4_0', () => {
  const cfg = preset('tiny');
  const ref = YiModel.random(rt, cfg, 'f32', 3, { contextLength: 16, batch: 8 });
  try {
    for (const type of ['q8_0', 'q4_0'] as const) {
      const m = YiModel.random(rt, cfg, type, 3, { contextLength: 16, batch: 8 });
      try {
        assert.equal(m.weights.layers[0]!.wDown.dtype, 'f16');
        assert.equal(m.weights.layers[0]!.wUp.dtype, type);
        ref.reset();
        const err = relativeError(m.forward([1, 5, 9, 200]).toArray(), ref.forward([1, 5, 9, 200]).toArray());
        assert.ok(err < BOUND[type], `${type}: logit error ${err} of the largest logit`);
      } finally {
        m.dispose();
      }
    }
  } finally {
    ref.dispose();
  }
});

test('a quantized GGUF whose tensors disagree with its config fails with a LoadError naming the tensor', async () => {
  // ffn 192 (whole blocks) written as q8_0, then the metadata changed to say ffn 172: the as-stored
  // q8_0 type must not be applied to the config's 172-wide rows before the shapes are compared.
  const folder = randomFolder('ffn-192', { ...ODD_FFN, ffn: 192 }, 8);
  const good = join(tmp, 'ffn-192.q8_0.gguf');
  await convertCheckpoint(folder, good, { type: 'q8_0', runtime: rt });
  const bad = join(tmp, 'ffn-192-says-172.gguf');
  const f = openGGUF(good);
  try {
    const metadata = new Map([...f.metadata].map(([k, v]) => [k, new GGUFTyped(f.metadataTypes.get(k)!, v)]));
    metadata.set('llama.feed_forward_length', g32.u32(172));
    writeGGUF(bad, { metadata, tensors: f.tensors.map((t) => ({ name: t.name, shape: t.shape, type: t.type, data: f.readTensorBytes(t) })) });
  } finally {
    f.close();
  }
  assert.throws(() => loadModel(rt, bad, { contextLength: 16, batch: 8 }), (e) => e instanceof LoadError && /ffn_down|down_proj|gate_proj|up_proj/.test(e.message) && /172/.test(e.message));
});

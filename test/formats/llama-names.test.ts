import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  canonicalHFName,
  gatherRows,
  ggufToHFName,
  ggufToHFRowOrder,
  hfToGGUFName,
  hfToGGUFRowOrder,
  isIgnoredHFTensor,
  permuteQKForGGUF,
  ropePermutedKind,
  unpermuteQKFromGGUF,
} from '../../src/formats/llama-names.js';

test('HF <-> GGUF tensor names, both ways, with the early Yi ln1/ln2 accepted', () => {
  const pairs: [string, string][] = [
    ['model.embed_tokens.weight', 'token_embd.weight'],
    ['model.norm.weight', 'output_norm.weight'],
    ['lm_head.weight', 'output.weight'],
    ['model.layers.0.self_attn.q_proj.weight', 'blk.0.attn_q.weight'],
    ['model.layers.1.self_attn.k_proj.weight', 'blk.1.attn_k.weight'],
    ['model.layers.12.self_attn.v_proj.weight', 'blk.12.attn_v.weight'],
    ['model.layers.59.self_attn.o_proj.weight', 'blk.59.attn_output.weight'],
    ['model.layers.3.mlp.gate_proj.weight', 'blk.3.ffn_gate.weight'],
    ['model.layers.3.mlp.up_proj.weight', 'blk.3.ffn_up.weight'],
    ['model.layers.3.mlp.down_proj.weight', 'blk.3.ffn_down.weight'],
    ['model.layers.7.input_layernorm.weight', 'blk.7.attn_norm.weight'],
    ['model.layers.7.post_attention_layernorm.weight', 'blk.7.ffn_norm.weight'],
  ];
  for (const [hf, g] of pairs) {
    assert.equal(hfToGGUFName(hf), g, hf);
    assert.equal(ggufToHFName(g), hf, g);
  }
  assert.equal(hfToGGUFName('model.layers.4.ln1.weight'), 'blk.4.attn_norm.weight');
  assert.equal(hfToGGUFName('model.layers.4.ln2.weight'), 'blk.4.ffn_norm.weight');
  assert.equal(canonicalHFName('model.layers.4.ln1.weight'), 'model.layers.4.input_layernorm.weight');
  assert.equal(canonicalHFName('model.layers.4.ln2.weight'), 'model.layers.4.post_attention_layernorm.weight');
  assert.equal(canonicalHFName('model.layers.4.mlp.up_proj.weight'), 'model.layers.4.mlp.up_proj.weight');
  assert.equal(hfToGGUFName('model.layers.0.self_attn.rotary_emb.inv_freq'), undefined);
  assert.ok(isIgnoredHFTensor('model.layers.0.self_attn.rotary_emb.inv_freq'));
  assert.equal(hfToGGUFName('model.layers.0.self_attn.q_norm.weight'), undefined);
  assert.equal(ggufToHFName('blk.0.attn_qkv.weight'), undefined);
  assert.equal(ggufToHFName('rope_freqs.weight'), undefined);
  assert.equal(ropePermutedKind('model.layers.0.self_attn.q_proj.weight'), 'q');
  assert.equal(ropePermutedKind('blk.3.attn_k.weight'), 'k');
  assert.equal(ropePermutedKind('blk.3.attn_v.weight'), undefined);
  assert.equal(ropePermutedKind('model.layers.0.self_attn.o_proj.weight'), undefined);
});

test('the q/k row permutation on a hand-checked case: 2 heads of dimension 4', () => {
  // Head 0 in HF order is [x0 x1 | y0 y1] (rotate-half pairs x_j with y_j); GGUF wants [x0 y0 x1 y1].
  assert.deepEqual([...hfToGGUFRowOrder(8, 2)], [0, 2, 1, 3, 4, 6, 5, 7]);
  // One head of dimension 8: [a0 a1 a2 a3 | b0 b1 b2 b3] -> [a0 b0 a1 b1 a2 b2 a3 b3].
  assert.deepEqual([...hfToGGUFRowOrder(8, 1)], [0, 4, 1, 5, 2, 6, 3, 7]);
  assert.deepEqual([...ggufToHFRowOrder(8, 1)], [0, 2, 4, 6, 1, 3, 5, 7]);
  // Rows of 3 bytes move whole.
  const src = Uint8Array.from({ length: 8 * 3 }, (_, i) => i);
  const out = permuteQKForGGUF(src, 8, 2);
  assert.deepEqual([...out.subarray(0, 6)], [0, 1, 2, 6, 7, 8]);
  assert.throws(() => hfToGGUFRowOrder(12, 4), /do not split into 4 heads of an even head dimension/);
  assert.throws(() => gatherRows(new Uint8Array(5), 2, hfToGGUFRowOrder(4, 1)), /need 8 bytes/);
});

test('unpermute(permute(x)) == x for q and k shapes of Yi-like heads, any row size', () => {
  for (const [rows, heads, rowBytes] of [
    [64, 4, 6],
    [32, 2, 34], // Q8_0 rows: whole blocks move
    [128, 8, 4],
    [32, 16, 2], // head dim 2: the permutation is the identity
  ] as const) {
    const x = Uint8Array.from({ length: rows * rowBytes }, (_, i) => (i * 7 + 3) & 255);
    const p = permuteQKForGGUF(x, rows, heads);
    if (rows / heads > 2) assert.notDeepEqual(p, x);
    else assert.deepEqual(p, x);
    assert.deepEqual(unpermuteQKFromGGUF(p, rows, heads), x);
    assert.deepEqual(permuteQKForGGUF(unpermuteQKFromGGUF(x, rows, heads), rows, heads), x);
  }
});

test('permuted rows make interleaved (llama.cpp) RoPE equal rotate-half (HF) RoPE', () => {
  // q = W x, so permuting W's rows permutes q: P(ropeHF(q)) must equal ropeGGUF(P q).
  const nHead = 3;
  const d = 8;
  const q = Float64Array.from({ length: nHead * d }, (_, i) => Math.sin(i * 1.7) + 0.1 * i);
  const pos = 5;
  const theta = (i: number) => pos * Math.pow(10000, (-2 * i) / d);
  const ropeHF = (v: Float64Array) => {
    const o = new Float64Array(v.length);
    for (let h = 0; h < nHead; h++) {
      for (let i = 0; i < d / 2; i++) {
        const a = v[h * d + i]!;
        const b = v[h * d + i + d / 2]!;
        o[h * d + i] = a * Math.cos(theta(i)) - b * Math.sin(theta(i));
        o[h * d + i + d / 2] = b * Math.cos(theta(i)) + a * Math.sin(theta(i));
      }
    }
    return o;
  };
  const ropeGGUF = (v: Float64Array) => {
    const o = new Float64Array(v.length);
    for (let h = 0; h < nHead; h++) {
      for (let i = 0; i < d / 2; i++) {
        const a = v[h * d + 2 * i]!;
        const b = v[h * d + 2 * i + 1]!;
        o[h * d + 2 * i] = a * Math.cos(theta(i)) - b * Math.sin(theta(i));
        o[h * d + 2 * i + 1] = a * Math.sin(theta(i)) + b * Math.cos(theta(i));
      }
    }
    return o;
  };
  const perm = (v: Float64Array) => new Float64Array(permuteQKForGGUF(new Uint8Array(v.buffer.slice(0)), nHead * d, nHead).buffer);
  const lhs = perm(ropeHF(q));
  const rhs = ropeGGUF(perm(q));
  for (let i = 0; i < lhs.length; i++) assert.ok(Math.abs(lhs[i]! - rhs[i]!) < 1e-12, `row ${i}: ${lhs[i]} vs ${rhs[i]}`);
});

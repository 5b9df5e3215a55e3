// Llama tensor names in Hugging Face and GGUF checkpoints, and the q/k row permutation between
// them. HF's LlamaAttention applies RoPE "rotate-half" style (dimension i pairs with i + d/2);
// llama.cpp's rope pairs neighbours (2i, 2i + 1). convert_hf_to_gguf.py (LlamaModel.permute)
// reorders the rows of q_proj (over n_head heads) and k_proj (over n_head_kv heads) so that
// llama.cpp's interleaved rope computes the same thing; loading GGUF into HF layout undoes it.

const LAYER_HF: ReadonlyArray<readonly [hf: string, gguf: string]> = [
  ['self_attn.q_proj', 'attn_q'],
  ['self_attn.k_proj', 'attn_k'],
  ['self_attn.v_proj', 'attn_v'],
  ['self_attn.o_proj', 'attn_output'],
  ['mlp.gate_proj', 'ffn_gate'],
  ['mlp.up_proj', 'ffn_up'],
  ['mlp.down_proj', 'ffn_down'],
  ['input_layernorm', 'attn_norm'],
  ['post_attention_layernorm', 'ffn_norm'],
  // The first Yi releases (YiForCausalLM) named the two norms ln1 / ln2.
  ['ln1', 'attn_norm'],
  ['ln2', 'ffn_norm'],
];
const GLOBAL_HF: ReadonlyArray<readonly [hf: string, gguf: string]> = [
  ['model.embed_tokens', 'token_embd'],
  ['model.norm', 'output_norm'],
  ['lm_head', 'output'],
];

const hfToGGUFLayer = new Map(LAYER_HF.map(([h, g]) => [h, g]));
// The first HF name listed for a GGUF name is the canonical one (input_layernorm, not ln1).
const ggufToHFLayer = new Map<string, string>();
for (const [h, g] of LAYER_HF) if (!ggufToHFLayer.has(g)) ggufToHFLayer.set(g, h);
const hfToGGUFGlobal = new Map(GLOBAL_HF.map(([h, g]) => [h, g]));
const ggufToHFGlobal = new Map(GLOBAL_HF.map(([h, g]) => [g, h]));

const HF_LAYER = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/;
const GGUF_LAYER = /^blk\.(\d+)\.(.+)\.(weight|bias)$/;
const GLOBAL = /^(.+)\.(weight|bias)$/;

/** The GGUF name of an HF Llama/Yi tensor, or undefined when it has none (e.g. rotary_emb.inv_freq). */
export function hfToGGUFName(name: string): string | undefined {
  const m = HF_LAYER.exec(name);
  if (m) {
    const g = hfToGGUFLayer.get(m[2]!);
    return g === undefined ? undefined : `blk.${m[1]}.${g}.${m[3]}`;
  }
  const n = GLOBAL.exec(name);
  const g = n ? hfToGGUFGlobal.get(n[1]!) : undefined;
  return g === undefined ? undefined : `${g}.${n![2]}`;
}

/** The (canonical) HF name of a GGUF Llama tensor, or undefined when it has none. */
export function ggufToHFName(name: string): string | undefined {
  const m = GGUF_LAYER.exec(name);
  if (m) {
    const h = ggufToHFLayer.get(m[2]!);
    return h === undefined ? undefined : `model.layers.${m[1]}.${h}.${m[3]}`;
  }
  const n = GLOBAL.exec(name);
  const h = n ? ggufToHFGlobal.get(n[1]!) : undefined;
  return h === undefined ? undefined : `${h}.${n![2]}`;
}

/** The canonical HF name: the early Yi ln1 / ln2 become input_layernorm / post_attention_layernorm. */
export function canonicalHFName(name: string): string {
  return name.replace(/^(model\.layers\.\d+\.)ln1\./, '$1input_layernorm.').replace(/^(model\.layers\.\d+\.)ln2\./, '$1post_attention_layernorm.');
}

/** HF tensors that carry no weights llama.cpp needs (old checkpoints saved RoPE's inverse frequencies). */
export function isIgnoredHFTensor(name: string): boolean {
  return /\.rotary_emb\.inv_freq$/.test(name);
}

/**
 * Whether a tensor's rows are RoPE-permuted between the layouts, and over how many heads:
 * 'q' (n_head) for q_proj / attn_q, 'k' (n_head_kv) for k_proj / attn_k, else undefined.
 * Accepts HF or GGUF names.
 */
export function ropePermutedKind(name: string): 'q' | 'k' | undefined {
  if (/(?:self_attn\.q_proj|\.attn_q)\.(weight|bias)$/.test(name)) return 'q';
  if (/(?:self_attn\.k_proj|\.attn_k)\.(weight|bias)$/.test(name)) return 'k';
  return undefined;
}

/**
 * Row order HF -> GGUF for a q or k projection with `rows` rows over `nHead` heads:
 * GGUF row dst takes HF row result[dst]. Exactly convert_hf_to_gguf.py's
 *   w.reshape(n_head, 2, rows // n_head // 2, *rest).swapaxes(1, 2).reshape(w.shape)
 * i.e. within head h (head dim d): GGUF row h*d + 2j + s  <-  HF row h*d + s*d/2 + j.
 */
export function hfToGGUFRowOrder(rows: number, nHead: number): Int32Array {
  const d = headDimOf(rows, nHead);
  const order = new Int32Array(rows);
  for (let h = 0; h < nHead; h++) {
    for (let j = 0; j < d / 2; j++) {
      for (let s = 0; s < 2; s++) order[h * d + 2 * j + s] = h * d + s * (d / 2) + j;
    }
  }
  return order;
}

/** Row order GGUF -> HF (the inverse of hfToGGUFRowOrder): HF row dst takes GGUF row result[dst]. */
export function ggufToHFRowOrder(rows: number, nHead: number): Int32Array {
  const fwd = hfToGGUFRowOrder(rows, nHead);
  const inv = new Int32Array(rows);
  for (let dst = 0; dst < rows; dst++) inv[fwd[dst]!] = dst;
  return inv;
}

function headDimOf(rows: number, nHead: number): number {
  if (!Number.isInteger(nHead) || nHead <= 0) throw new RangeError(`rope permutation: head count must be a positive integer, got ${nHead}`);
  if (!Number.isInteger(rows) || rows % nHead !== 0 || (rows / nHead) % 2 !== 0) {
    throw new RangeError(`rope permutation: ${rows} rows do not split into ${nHead} heads of an even head dimension`);
  }
  return rows / nHead;
}

/**
 * Gathers whole rows: out row i = src row order[i]. Works for any dtype whose rows are contiguous
 * byte ranges of `rowBytes` (f32/f16/bf16, and GGUF-order Q8_0/Q4_0 rows of whole blocks).
 * `out` may be given (e.g. a window of wasm memory) but must not overlap `src`.
 */
export function gatherRows(src: Uint8Array, rowBytes: number, order: Int32Array, out?: Uint8Array): Uint8Array {
  const rows = order.length;
  if (src.length !== rows * rowBytes) throw new RangeError(`gatherRows: ${rows} rows of ${rowBytes} bytes need ${rows * rowBytes} bytes, got ${src.length}`);
  const dst = out ?? new Uint8Array(src.length);
  if (dst.length !== src.length) throw new RangeError(`gatherRows: output has ${dst.length} bytes, expected ${src.length}`);
  for (let i = 0; i < rows; i++) {
    const from = order[i]! * rowBytes;
    dst.set(src.subarray(from, from + rowBytes), i * rowBytes);
  }
  return dst;
}

/** HF -> GGUF q/k rows (nHead: n_head for q, n_head_kv for k). */
export function permuteQKForGGUF(src: Uint8Array, rows: number, nHead: number, out?: Uint8Array): Uint8Array {
  return gatherRows(src, rowBytesOf(src, rows), hfToGGUFRowOrder(rows, nHead), out);
}

/** GGUF -> HF q/k rows: the inverse of permuteQKForGGUF. */
export function unpermuteQKFromGGUF(src: Uint8Array, rows: number, nHead: number, out?: Uint8Array): Uint8Array {
  return gatherRows(src, rowBytesOf(src, rows), ggufToHFRowOrder(rows, nHead), out);
}

function rowBytesOf(src: Uint8Array, rows: number): number {
  if (rows <= 0 || src.length % rows !== 0) throw new RangeError(`rope permutation: ${src.length} bytes do not split into ${rows} equal rows`);
  return src.length / rows;
}

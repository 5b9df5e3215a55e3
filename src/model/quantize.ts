// `yi quantize`: a checkpoint (GGUF or Hugging Face folder) to a GGUF whose matrices are quantized
// with llama.cpp's llama-quantize choices: the file type's default block type for most matrices,
// and for the _M / _S mixes more bits where llama.cpp's llama_tensor_get_type (src/llama-quant.cpp)
// puts them for a Llama-architecture model (no experts, not Falcon, not 70B):
//   - output.weight (or token_embd.weight when the file has no output): Q6_K, unless the type is
//     Q8_0 (kept) or its rows are not whole blocks of the default type (Q8_0);
//   - attn_v.weight: Q4_K_M / Q5_K_M: Q6_K in the layers use_more_bits picks (the first and last
//     eighth, and every third layer between); Q4_K_S: Q5_K in layers 0..3; Q3_K_M: Q5_K in layers
//     0..1, else Q4_K; Q3_K_L: Q5_K; Q2_K: Q4_K with 4+ query heads per KV head, else Q3_K;
//   - ffn_down: Q4_K_M / Q5_K_M: Q6_K where use_more_bits; Q4_K_S: Q5_K in the first eighth;
//     Q3_K_M: Q5_K in the first sixteenth, else Q4_K; Q3_K_L: Q5_K; Q2_K: Q3_K;
//   - attn_output.weight: Q2_K: Q3_K; Q3_K_M: Q4_K; Q3_K_L: Q5_K;
//   - a matrix whose rows are not whole blocks falls back: Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0,
//     (Q2_K / Q3_K -> IQ4_NL, which we refuse), then F16 where rows are not whole 32-blocks either (llama-quantize stops with an error for the
//     legacy types there; we keep F16, as `yi convert` does).
// Every block is written by the quantizer of llama.cpp's reference (non-imatrix) path, byte for byte.
import type { DType } from '../tensor/dtype.js';
import { KTYPES, isKType } from '../tensor/dtype.js';
import { ConvertError, convertCheckpoint, type ConvertOptions, type ConvertResult, type ConvertType } from './convert.js';

/** The file types `yi quantize` writes (llama-quantize's names, lower case). */
export const QUANTIZE_TYPES = ['q8_0', 'q6_k', 'q5_k_m', 'q5_k_s', 'q5_1', 'q5_0', 'q4_k_m', 'q4_k_s', 'q4_1', 'q4_0', 'q3_k_l', 'q3_k_m', 'q3_k_s', 'q2_k'] as const;
export type QuantizeType = (typeof QUANTIZE_TYPES)[number];

/** llama.cpp's llama_ftype (general.file_type) of each. */
export const QUANTIZE_FILE_TYPE: Readonly<Record<QuantizeType, number>> = {
  q4_0: 2, q4_1: 3, q8_0: 7, q5_0: 8, q5_1: 9, q2_k: 10, q3_k_s: 11, q3_k_m: 12, q3_k_l: 13, q4_k_s: 14, q4_k_m: 15, q5_k_s: 16, q5_k_m: 17, q6_k: 18,
};

/** The mix's default block type (llama-quantize's default_type). */
export function defaultType(t: QuantizeType): ConvertType {
  if (t === 'q4_k_m' || t === 'q4_k_s') return 'q4_k';
  if (t === 'q5_k_m' || t === 'q5_k_s') return 'q5_k';
  if (t === 'q3_k_s' || t === 'q3_k_m' || t === 'q3_k_l') return 'q3_k';
  return t;
}

function blockOf(t: DType): number {
  return isKType(t) ? KTYPES[t].block : 32;
}

/** llama.cpp's use_more_bits: the first and last eighth of the layers, and every third one between. */
export function useMoreBits(i: number, n: number): boolean {
  return i < Math.floor(n / 8) || i >= Math.floor((7 * n) / 8) || (i - Math.floor(n / 8)) % 3 === 2;
}

/** The type llama-quantize gives a matrix (GGUF name, row length) before the fallback for odd rows;
 *  `gqa`: query heads per KV head. */
export function mixType(t: QuantizeType, name: string, cols: number, layers: number, hasOutput: boolean, gqa = 1): ConvertType {
  let nt = defaultType(t);
  const layer = Number(/^blk\.(\d+)\./.exec(name)?.[1] ?? -1);
  if (name === 'output.weight' || (!hasOutput && name === 'token_embd.weight')) {
    if (cols % blockOf(nt) !== 0) nt = 'q8_0';
    else if (nt !== 'q8_0') nt = 'q6_k';
  } else if (name.includes('attn_v.weight')) {
    if (t === 'q2_k') nt = gqa >= 4 ? 'q4_k' : 'q3_k';
    else if (t === 'q3_k_m') nt = layer < 2 ? 'q5_k' : 'q4_k';
    else if (t === 'q3_k_l') nt = 'q5_k';
    else if ((t === 'q4_k_m' || t === 'q5_k_m') && useMoreBits(layer, layers)) nt = 'q6_k';
    else if (t === 'q4_k_s' && layer < 4) nt = 'q5_k';
  } else if (name.includes('ffn_down')) {
    if (t === 'q2_k') nt = 'q3_k';
    else if (t === 'q3_k_m') nt = layer < Math.floor(layers / 16) ? 'q5_k' : 'q4_k';
    else if (t === 'q3_k_l') nt = 'q5_k';
    else if ((t === 'q4_k_m' || t === 'q5_k_m') && useMoreBits(layer, layers)) nt = 'q6_k';
    else if (t === 'q4_k_s' && layer < Math.floor(layers / 8)) nt = 'q5_k';
  } else if (name.includes('attn_output.weight')) {
    if (t === 'q2_k') nt = 'q3_k';
    else if (t === 'q3_k_m') nt = 'q4_k';
    else if (t === 'q3_k_l') nt = 'q5_k';
  }
  return nt;
}

/** llama-quantize's fallback for a row length that is not whole blocks of `t`, then F16. Q2_K and
 *  Q3_K fall back to IQ4_NL there, a type yi-ts does not have: a ConvertError says so. */
export function fallbackType(t: ConvertType, cols: number, name = 'a matrix'): ConvertType {
  if (cols % blockOf(t) === 0) return t;
  if (t === 'q2_k' || t === 'q3_k') {
    throw new ConvertError(`${name} has rows of ${cols}, not whole 256-weight blocks: llama-quantize stores it in IQ4_NL instead of ${t.toUpperCase()}, which yi quantize does not write yet; use q4_k_m, q4_k_s or a 32-block type for this model`);
  }
  const next: ConvertType = t === 'q4_k' ? 'q5_0' : t === 'q5_k' ? 'q5_1' : t === 'q6_k' ? 'q8_0' : 'f16';
  return cols % blockOf(next) === 0 ? next : 'f16';
}

export interface QuantizeOptions extends Pick<ConvertOptions, 'runtime' | 'name' | 'onProgress' | 'strict'> {
  type: QuantizeType;
}

/** Quantizes the checkpoint at `input` (GGUF or Hugging Face folder) into the GGUF `output` (written atomically). */
export async function quantizeCheckpoint(input: string, output: string, opts: QuantizeOptions): Promise<ConvertResult> {
  if (!(QUANTIZE_TYPES as readonly string[]).includes(opts.type)) {
    throw new ConvertError(`unsupported quantization type ${JSON.stringify(opts.type)}; expected one of ${QUANTIZE_TYPES.join(', ')}`);
  }
  if (!output.endsWith('.gguf')) throw new ConvertError(`yi quantize writes GGUF: the output must end in .gguf, got ${output}`);
  return convertCheckpoint(input, output, mixOptions(opts));
}

/** The conversion options that write `opts.type`'s mix (also used by `yi quantize --awq`). */
export function mixOptions(opts: QuantizeOptions): ConvertOptions {
  const t = opts.type;
  return {
    ...opts,
    type: undefined,
    fileType: QUANTIZE_FILE_TYPE[t],
    fileTypeLabel: t,
    matrixType: ({ name, cols, layers, hasOutput, gqa }) => {
      const want = mixType(t, name, cols, layers, hasOutput, gqa);
      return { want, to: fallbackType(want, cols, name) };
    },
  };
}

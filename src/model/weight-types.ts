// Which type each weight matrix is stored in when a block type is asked for. Q8_0 and Q4_0 hold rows
// as whole 32-weight blocks; a matrix whose rows are not (Yi-style ffn widths such as 688 or 172 in
// w_down) cannot take them and is kept in F16 instead, as llama.cpp does: convert_hf_to_gguf.py falls
// back to F16 when gguf-py's quantizer refuses a row length, and llama-quantize's fallback chain ends
// in F16 when no block type fits. The converter (GGUF writing) and the loader (load-time quantization)
// share this one rule, so `yi convert --type q8_0` and `yi generate --type q8_0` hold the same types.
import { isKType, isQuantized, KTYPES, QK, type DType } from '../tensor/dtype.js';
import type { YiWeights } from './weights.js';

/** Where a block type cannot hold a matrix's rows. */
export const FALLBACK_TYPE = 'f16';

/** The type a matrix whose rows have `cols` values gets when `want` is asked for. */
export function matrixType<T extends DType>(want: T, cols: number): T | typeof FALLBACK_TYPE {
  if (isKType(want)) return cols % KTYPES[want].block !== 0 ? FALLBACK_TYPE : want;
  return isQuantized(want) && cols % QK !== 0 ? FALLBACK_TYPE : want;
}

/** A matrix that did not get the type asked for. */
export interface WeightFallback {
  name: string;
  cols: number;
  wanted: DType;
  got: DType;
}

/**
 * One line naming the matrices that fell back, grouped over layers
 * (`blk.*.ffn_down.weight (4 tensors, rows of 688)`), or undefined when none did.
 */
export function fallbackSummary(fallbacks: readonly WeightFallback[], matrices: number): string | undefined {
  if (fallbacks.length === 0) return undefined;
  const groups = new Map<string, { count: number; cols: Set<number> }>();
  for (const f of fallbacks) {
    const key = f.name.replace(/^(blk|model\.layers)\.\d+\./, '$1.*.');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { count: 0, cols: new Set() }));
    g.count++;
    g.cols.add(f.cols);
  }
  const list = (s: Set<unknown>) => [...s].join('/');
  const parts = [...groups].map(([name, g]) => `${name} (${g.count === 1 ? '1 tensor' : `${g.count} tensors`}, rows of ${list(g.cols)})`);
  const wanted = list(new Set(fallbacks.map((f) => f.wanted)));
  const got = list(new Set(fallbacks.map((f) => f.got)));
  const blocks = list(new Set(fallbacks.map((f) => (isKType(f.wanted) ? KTYPES[f.wanted].block : QK))));
  return `${fallbacks.length} of ${matrices} matrices kept in ${got} instead of ${wanted}, their rows not being whole ${blocks}-weight blocks (as llama.cpp does): ${parts.join(', ')}`;
}

/** A model's matrix types, most used first: `q8_0`, or `q8_0+f16` where some fell back (for reports). */
export function weightTypesLabel(w: YiWeights): string {
  const counts = new Map<DType, number>();
  for (const t of [w.embed, w.lmHead, ...w.layers.flatMap((l) => [l.wq, l.wk, l.wv, l.wo, l.wGate, l.wUp, l.wDown])]) counts.set(t.dtype, (counts.get(t.dtype) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([t]) => t).join('+');
}

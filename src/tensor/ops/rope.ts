// Rotary position embedding (Hugging Face rotate_half layout) with a precomputed cos/sin table.
import type { Arena } from '../../runtime/arena.js';
import type { Runtime } from '../../runtime/runtime.js';
import { Tensor } from '../tensor.js';
import { arenaOf, expectDType, expectRank, minRowsPerThread } from './util.js';

export interface RopeOptions {
  /** Head dimension D (even). */
  headDim: number;
  /** Positions the table covers: 0 .. maxPos - 1. */
  maxPos: number;
  /** rope_theta: 5,000,000 for most Yi models, 10,000 for Yi-9B. */
  base: number;
}

/** cos and sin of pos * inv_freq_i, each f32 [maxPos, D/2]. */
export interface RopeTable extends RopeOptions {
  cos: Tensor;
  sin: Tensor;
}

/**
 * Builds the table once. inv_freq_i = base^(-2i/D) and the angles pos * inv_freq_i are computed in
 * float64 and only then rounded to f32, so large positions keep their accuracy (Hugging Face forms
 * the angle in f32, which drifts by up to ~1e-3 rad near position 200k).
 */
export function ropeTable(rt: Runtime, opts: RopeOptions, arena?: Arena): RopeTable {
  const { headDim, maxPos, base } = opts;
  if (!Number.isInteger(headDim) || headDim < 2 || headDim % 2 !== 0) throw new RangeError(`ropeTable: headDim must be an even integer >= 2, got ${headDim}`);
  if (!Number.isInteger(maxPos) || maxPos < 1) throw new RangeError(`ropeTable: maxPos must be an integer >= 1, got ${maxPos}`);
  if (!(base > 1) || !Number.isFinite(base)) throw new RangeError(`ropeTable: base must be a finite number > 1, got ${base}`);
  const half = headDim / 2;
  const invFreq = Float64Array.from({ length: half }, (_, i) => Math.pow(base, (-2 * i) / headDim));
  const cos = Tensor.zeros(rt, 'f32', [maxPos, half], arena);
  const sin = Tensor.zeros(rt, 'f32', [maxPos, half], cos.arena);
  const c = cos.arena.f32.subarray(cos.offset / 4, cos.offset / 4 + maxPos * half);
  const s = sin.arena.f32.subarray(sin.offset / 4, sin.offset / 4 + maxPos * half);
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * invFreq[i]!;
      c[p * half + i] = Math.cos(angle);
      s[p * half + i] = Math.sin(angle);
    }
  }
  return { headDim, maxPos, base, cos, sin };
}

/**
 * Rotates x in place. x: f32 [T, H, D] (queries or keys, D = table.headDim); positions: i32 [T],
 * each in [0, table.maxPos). Returns x. `inverse` rotates by -angle instead: the rotation's
 * transpose, hence its backward (grad_in = R(-angle) grad_out).
 */
export function applyRope(x: Tensor, positions: Tensor, table: RopeTable, inverse = false): Tensor {
  const op = 'applyRope';
  expectDType(op, 'x', x, ['f32']);
  expectRank(op, 'x', x, 3);
  const [t, h, d] = x.shape as [number, number, number];
  if (d !== table.headDim) throw new RangeError(`${op}: x has head dim ${d}, the table was built for ${table.headDim}`);
  expectDType(op, 'positions', positions, ['i32']);
  if (positions.rank !== 1 || positions.shape[0] !== t) throw new RangeError(`${op}: positions must have shape [${t}], got [${positions.shape.join(', ')}]`);
  const arena = arenaOf(op, { x, positions, 'table.cos': table.cos, 'table.sin': table.sin });
  const pos = arena.i32.subarray(positions.offset / 4, positions.offset / 4 + t);
  for (let i = 0; i < t; i++) {
    const p = pos[i]!;
    if (p < 0 || p >= table.maxPos) throw new RangeError(`${op}: positions[${i}] = ${p} is outside the table's [0, ${table.maxPos})`);
  }
  x.rt.parallel('rope_f32', arena, [x.offset, positions.offset, table.cos.offset, table.sin.offset, h, d, inverse ? 1 : 0], t * h, 1, minRowsPerThread(d));
  return x;
}

// Helpers shared by the op wrappers: operand checks and output allocation.
import type { Arena } from '../../runtime/arena.js';
import type { DType } from '../dtype.js';
import { expectShape, Tensor } from '../tensor.js';

/** Elements below which a parallel elementwise kernel stays on one thread (dispatch costs microseconds). */
export const MIN_ELEMENTS_PER_THREAD = 1 << 14;

/** Rows per thread so that each thread gets at least MIN_ELEMENTS_PER_THREAD elements of work. */
export function minRowsPerThread(rowElements: number): number {
  return Math.max(1, Math.ceil(MIN_ELEMENTS_PER_THREAD / Math.max(1, rowElements)));
}

/** `out` checked against dtype/shape, or a fresh zeroed tensor in `arena`. */
export function outputTensor(op: string, like: Tensor, out: Tensor | undefined, dtype: DType, shape: readonly number[], arena: Arena): Tensor {
  if (out === undefined) return Tensor.zeros(like.rt, dtype, shape, arena);
  expectShape(op, 'out', out, dtype, shape);
  if (out.arena !== arena) throw new Error(`${op}: out lives in arena ${out.arena.id}, the operands in arena ${arena.id}`);
  return out;
}

/** Throws unless `t` has one of the dtypes (named operand). */
export function expectDType(op: string, name: string, t: Tensor, dtypes: readonly DType[]): void {
  if (!dtypes.includes(t.dtype)) throw new TypeError(`${op}: ${name} must be ${dtypes.join('|')}, got ${t.dtype}`);
}

/** Throws unless `t` has the given rank (named operand). */
export function expectRank(op: string, name: string, t: Tensor, rank: number): void {
  if (t.rank !== rank) throw new RangeError(`${op}: ${name} must have rank ${rank}, got shape [${t.shape.join(', ')}]`);
}

/** The arena every operand lives in; throws naming the first operand that lives elsewhere. */
export function arenaOf(op: string, operands: Record<string, Tensor>): Arena {
  const entries = Object.entries(operands);
  const [firstName, first] = entries[0]!;
  const arena = first.arena;
  for (const [name, t] of entries) {
    if (t.arena !== arena) {
      throw new Error(`${op}: ${name} lives in arena ${t.arena.id} but ${firstName} in arena ${arena.id}; copy one with copyTo(arena) first`);
    }
  }
  return arena;
}

/** Do the storages of a and b share any byte? (Same arena and intersecting byte ranges.) */
export function overlaps(a: Tensor, b: Tensor): boolean {
  if (a.arena !== b.arena || a.byteLength === 0 || b.byteLength === 0) return false;
  return a.offset < b.offset + b.byteLength && b.offset < a.offset + a.byteLength;
}

/**
 * Throws unless each output's storage is apart from every other operand's, except that an output
 * may be exactly (same offset and size) one of the inputs `mayBe` lists for it.
 */
export function expectNoOverlap(
  op: string,
  outputs: Record<string, Tensor>,
  inputs: Record<string, Tensor>,
  mayBe: Record<string, readonly string[]> = {},
): void {
  const outs = Object.entries(outputs);
  const all = [...outs, ...Object.entries(inputs)];
  for (const [name, o] of outs) {
    const allowed = mayBe[name] ?? [];
    for (const [other, t] of all) {
      if (other === name || !overlaps(o, t)) continue;
      if (allowed.includes(other) && o.offset === t.offset && o.byteLength === t.byteLength) continue;
      const hint = allowed.length ? ` (it may only be exactly ${allowed.join(' or ')})` : '';
      throw new Error(`${op}: ${name} overlaps ${other}${hint}`);
    }
  }
}

/** Checks `ids` (i32 [T], token ids into a table of `vocab` rows, in `arena`) and returns T; a
 *  RangeError names the first id outside [0, vocab). */
export function expectTokenIds(op: string, ids: Tensor, vocab: number, arena: Arena): number {
  expectRank(op, 'ids', ids, 1);
  const t = ids.shape[0]!;
  expectShape(op, 'ids', ids, 'i32', [t]);
  const idv = arena.i32.subarray(ids.offset / 4, ids.offset / 4 + t);
  for (let i = 0; i < t; i++) {
    const id = idv[i]!;
    if (id < 0 || id >= vocab) throw new RangeError(`${op}: token id ${id} (ids[${i}]) is outside the vocabulary [0, ${vocab})`);
  }
  return t;
}

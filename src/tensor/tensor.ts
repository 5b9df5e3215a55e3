// The one Tensor type: a dtype, a shape and a place (arena + byte offset) in wasm memory.
// Tensors are contiguous and row-major; views share storage (reshape, ranges of the first dimension).
import type { Arena } from '../runtime/arena.js';
import type { Place, Runtime } from '../runtime/runtime.js';
import { byteSize, elementBytes, isKType, isKX4, isQuantized, numel, QROWS, type DType } from './dtype.js';

export class Tensor {
  private disposed = false;

  private constructor(
    readonly rt: Runtime,
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly place: Place,
    /** Views do not own storage; disposing one is an error. */
    private readonly owner: boolean,
  ) {}

  /** A zero-filled tensor. `arena` pins where it lives (operands of one kernel must share an arena). */
  static zeros(rt: Runtime, dtype: DType, shape: readonly number[], arena?: Arena): Tensor {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`bad tensor shape [${shape.join(', ')}]`);
    }
    const place = rt.alloc(byteSize(dtype, shape), arena, true, `${dtype} [${shape.join(', ')}]`);
    return new Tensor(rt, dtype, [...shape], place, true);
  }

  /** A tensor whose contents are undefined (old bytes): for outputs a kernel overwrites whole. */
  static empty(rt: Runtime, dtype: DType, shape: readonly number[], arena?: Arena): Tensor {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`bad tensor shape [${shape.join(', ')}]`);
    }
    return new Tensor(rt, dtype, [...shape], rt.alloc(byteSize(dtype, shape), arena, false, `${dtype} [${shape.join(', ')}]`), true);
  }

  /** An f32 tensor holding a copy of `data`. */
  static fromF32(rt: Runtime, data: ArrayLike<number>, shape: readonly number[], arena?: Arena): Tensor {
    if (numel(shape) !== data.length) throw new RangeError(`data has ${data.length} values, shape [${shape.join(', ')}] needs ${numel(shape)}`);
    const t = Tensor.zeros(rt, 'f32', shape, arena);
    t.arena.f32.set(data, t.offset / 4);
    return t;
  }

  /** An i32 tensor holding a copy of `data` (token ids, positions). */
  static fromI32(rt: Runtime, data: ArrayLike<number>, shape: readonly number[], arena?: Arena): Tensor {
    if (numel(shape) !== data.length) throw new RangeError(`data has ${data.length} values, shape [${shape.join(', ')}] needs ${numel(shape)}`);
    const t = Tensor.zeros(rt, 'i32', shape, arena);
    t.arena.i32.set(data, t.offset / 4);
    return t;
  }

  /** A tensor of `dtype` whose storage bytes are copied from `bytes` (already in the in-memory layout). */
  static fromBytes(rt: Runtime, dtype: DType, shape: readonly number[], bytes: Uint8Array, arena?: Arena): Tensor {
    const t = Tensor.zeros(rt, dtype, shape, arena);
    if (bytes.length !== t.byteLength) throw new RangeError(`${dtype} [${shape.join(', ')}] needs ${t.byteLength} bytes, got ${bytes.length}`);
    t.arena.u8.set(bytes, t.offset);
    return t;
  }

  get arena(): Arena {
    this.check();
    return this.place.arena;
  }
  /** Byte offset in the arena. */
  get offset(): number {
    this.check();
    return this.place.offset;
  }
  get numel(): number {
    return numel(this.shape);
  }
  get byteLength(): number {
    return byteSize(this.dtype, this.shape);
  }
  get rank(): number {
    return this.shape.length;
  }
  /** Size of the last dimension. */
  get cols(): number {
    return this.shape[this.shape.length - 1] ?? 1;
  }
  /** Product of all but the last dimension. */
  get rows(): number {
    return this.cols === 0 ? 0 : this.numel / this.cols;
  }

  /** The same storage with another shape of equal size. */
  reshape(shape: readonly number[]): Tensor {
    if (numel(shape) !== this.numel) throw new RangeError(`cannot reshape [${this.shape.join(', ')}] to [${shape.join(', ')}]`);
    if ((isQuantized(this.dtype) || isKType(this.dtype)) && shape[shape.length - 1] !== this.cols) {
      throw new RangeError(`a ${this.dtype} tensor keeps its last dimension (${this.cols}) when reshaped`);
    }
    return new Tensor(this.rt, this.dtype, [...shape], this.place, false);
  }

  /** Rows [start, start + count) of the first dimension, without a copy. */
  slice(start: number, count: number): Tensor {
    const d0 = this.shape[0] ?? 1;
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > d0) {
      throw new RangeError(`slice [${start}, ${start + count}) is outside dimension 0 of size ${d0}`);
    }
    const inner = this.shape.slice(1);
    let offset: number;
    if (isQuantized(this.dtype) || isKX4(this.dtype)) {
      // Whole groups of 4 interleaved rows only.
      if (this.rank !== 2 || start % QROWS !== 0) throw new RangeError(`a ${this.dtype} matrix can be sliced only at multiples of ${QROWS} rows`);
      offset = byteSize(this.dtype, [start, this.cols]);
    } else if (isKType(this.dtype)) {
      offset = start * byteSize(this.dtype, inner);
    } else {
      offset = start * numel(inner) * elementBytes(this.dtype);
    }
    return new Tensor(this.rt, this.dtype, [count, ...inner], { arena: this.place.arena, offset: this.place.offset + offset }, false);
  }

  /** The raw storage bytes (a view into wasm memory: valid until the arena grows). */
  bytes(): Uint8Array {
    return this.arena.u8.subarray(this.offset, this.offset + this.byteLength);
  }

  /** A copy of an f32 tensor's values. Other dtypes: convert first (ops/convert). */
  toArray(): Float32Array {
    if (this.dtype === 'f32') return this.arena.f32.slice(this.offset / 4, this.offset / 4 + this.numel);
    if (this.dtype === 'i32') return Float32Array.from(this.arena.i32.subarray(this.offset / 4, this.offset / 4 + this.numel));
    throw new TypeError(`toArray() reads f32 or i32 tensors; this one is ${this.dtype} (convert it with toF32 first)`);
  }

  /** Frees the storage. */
  dispose(): void {
    if (!this.owner) throw new Error('dispose() called on a view; dispose the tensor that owns the storage');
    if (this.disposed) return;
    this.disposed = true;
    this.rt.release(this.place);
  }

  private check(): void {
    if (this.disposed) throw new Error('tensor used after dispose()');
  }
}

/** Throws unless every tensor lives in the same arena as the first (one kernel sees one memory). */
export function sameArena(op: string, ...ts: Tensor[]): Arena {
  const a = ts[0]!.arena;
  for (const t of ts) {
    if (t.arena !== a) throw new Error(`${op}: operands live in arenas ${a.id} and ${t.arena.id}; copy one with copyTo(arena) first`);
  }
  return a;
}

/** Throws unless `t` has this dtype and shape. */
export function expectShape(op: string, name: string, t: Tensor, dtype: DType | DType[], shape: readonly number[]): void {
  const ok = Array.isArray(dtype) ? dtype.includes(t.dtype) : t.dtype === dtype;
  if (!ok) throw new TypeError(`${op}: ${name} must be ${Array.isArray(dtype) ? dtype.join('|') : dtype}, got ${t.dtype}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new RangeError(`${op}: ${name} must have shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
  }
}

/** A copy of `t` in another arena (small activations follow weights that live elsewhere). */
export function copyTo(t: Tensor, arena: Arena): Tensor {
  const out = Tensor.zeros(t.rt, t.dtype, t.shape, arena);
  out.arena.u8.set(t.bytes(), out.offset);
  return out;
}

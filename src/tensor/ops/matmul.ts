// Matrix products on the f32 GEMM kernel (src/kernels/gemm.ts).
import type { Arena } from '../../runtime/arena.js';
import type { Runtime } from '../../runtime/runtime.js';
import { expectShape, sameArena, Tensor } from '../tensor.js';

/** Element types gemm_f32 reads B as; the kernel's `btype` codes. */
const B_TYPES = { f32: 0, f16: 1, bf16: 2 } as const;
export type GemmBType = keyof typeof B_TYPES;

/** Below this many flops per thread a dispatch (microseconds) costs more than it saves. */
const MIN_FLOPS_PER_THREAD = 1 << 22;

/** One GEMM on raw arena offsets: C = alpha * op(A) * op(B) + beta * C. Strides are in elements. */
export interface GemmArgs {
  arena: Arena;
  /** Byte offset of A: [m, k] with row stride lda, or [k, m] when transA. f32. */
  a: number;
  lda: number;
  transA?: boolean;
  /** Byte offset of B: [k, n] with row stride ldb, or [n, k] when transB. */
  b: number;
  ldb: number;
  transB?: boolean;
  btype?: GemmBType;
  /** Byte offset of C: [m, n] with row stride ldc. f32. */
  c: number;
  ldc: number;
  m: number;
  n: number;
  k: number;
  alpha?: number;
  beta?: number;
}

/**
 * Runs gemm_f32 over the thread pool, split by rows of C (M > N) at multiples of the kernel's row
 * alignment or by columns at multiples of its tile width, so the result is bit-identical whatever the
 * thread count. `minUnitsPerThread` overrides the row or column count below which fewer threads are
 * used (tests force a split with 1).
 */
export function gemm(rt: Runtime, g: GemmArgs, minUnitsPerThread?: number): void {
  const { m, n, k } = g;
  const transA = g.transA ?? false;
  const transB = g.transB ?? false;
  for (const [name, v] of Object.entries({ m, n, k })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`gemm: ${name} must be an integer >= 1, got ${v}`);
  }
  checkStride('lda', g.lda, transA ? m : k);
  checkStride('ldb', g.ldb, transB ? k : n);
  checkStride('ldc', g.ldc, n);
  const btype = g.btype ?? 'f32';
  if (!(btype in B_TYPES)) throw new TypeError(`gemm: B must be f32, f16 or bf16, got ${btype}`);
  const { nr, rows } = kernelShape(rt, g.arena);
  const args = [g.a, g.lda, +transA, g.b, g.ldb, +transB, B_TYPES[btype], g.c, g.ldc, m, n, k, g.alpha ?? 1, g.beta ?? 0];
  const label = rt.profile ? `gemm A${transA ? '^T' : ''}B${transB ? '^T' : ''} ${m}x${n}x${k}` : undefined;
  // Every chunk packs the whole of the operand it does not split, so split the larger side: rows
  // when M > N (training: M = tokens; the lm_head's dY is 32x its weight), columns otherwise
  // (prompt processing). The choice depends on the shape only, never on the thread count: same bits.
  if (m > n) {
    const minUnits = minUnitsPerThread ?? Math.max(rows, Math.ceil(MIN_FLOPS_PER_THREAD / (2 * n * k)));
    rt.parallel('gemm_f32_rows', g.arena, args, m, rows, minUnits, ROW_CHUNKS_PER_THREAD, label);
    return;
  }
  const minUnits = minUnitsPerThread ?? Math.max(nr, Math.ceil(MIN_FLOPS_PER_THREAD / (2 * m * k)));
  // Each chunk packs its own panels of A, so chunks are few and wide (GEMM calls last milliseconds:
  // a late worker wake-up costs little).
  rt.parallel('gemm_f32', g.arena, args, n, nr, minUnits, GEMM_CHUNKS_PER_THREAD, label);
}

/** Measured on 1024^3 at 2 threads: 1 chunk per thread 118 GFLOP/s, 2: 111, 4: 105. */
const GEMM_CHUNKS_PER_THREAD = 1;
/** Row chunks re-pack only B (a weight or a [tokens, 256] activation): two per thread let a thread
 *  that was descheduled for a while hand its second chunk to the other. */
const ROW_CHUNKS_PER_THREAD = 2;

/** The kernel's tile width and row alignment, checked once per runtime against its scratch size. */
const tileShape = new WeakMap<Runtime, { nr: number; rows: number }>();
function kernelShape(rt: Runtime, arena: Arena): { nr: number; rows: number } {
  let shape = tileShape.get(rt);
  if (shape === undefined) {
    const need = rt.call('gemm_f32_scratch_bytes', arena);
    if (rt.scratchBytesPerThread < need) {
      throw new RangeError(`gemm: needs ${need} bytes of scratch per thread, the runtime has ${rt.scratchBytesPerThread}`);
    }
    shape = { nr: rt.call('gemm_f32_nr', arena), rows: rt.call('gemm_f32_row_align', arena) };
    tileShape.set(rt, shape);
  }
  return shape;
}

function checkStride(name: string, ld: number, width: number): void {
  if (!Number.isInteger(ld) || ld < width) throw new RangeError(`gemm: ${name} must be an integer >= ${width}, got ${ld}`);
}

export interface MatmulOptions {
  /** Use A^T: a is [K, M]. */
  transA?: boolean;
  /** Use B^T: b is [N, K] (a Hugging Face linear weight). */
  transB?: boolean;
  alpha?: number;
  /** 0 (default) overwrites out; 1 accumulates into it (gradient accumulation; needs `out`). */
  beta?: number;
  /** Where the result goes (allocated in the operands' arena when absent). */
  out?: Tensor;
}

/**
 * Returns out = alpha * op(a) * op(b) + beta * out.
 * a: f32 [..., M, K] (leading dims flattened into M), or [K, M] with transA.
 * b: f32, f16 or bf16 [K, N], or [N, K] with transB. out: f32 [..., M, N] (a's leading dims).
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const op = 'matmul';
  const { transA = false, transB = false } = opts;
  if (a.dtype !== 'f32') throw new TypeError(`${op}: a must be f32, got ${a.dtype}`);
  if (transA ? a.rank !== 2 : a.rank < 2) {
    throw new RangeError(`${op}: a must be ${transA ? '2-D [K, M] with transA' : 'at least 2-D [..., M, K]'}, got [${a.shape.join(', ')}]`);
  }
  if (b.rank !== 2) throw new RangeError(`${op}: b must be 2-D ${transB ? '[N, K]' : '[K, N]'}, got [${b.shape.join(', ')}]`);
  const m = transA ? a.shape[1]! : a.rows;
  const k = transA ? a.shape[0]! : a.cols;
  const n = transB ? b.shape[0]! : b.shape[1]!;
  expectShape(op, 'b', b, ['f32', 'f16', 'bf16'], transB ? [n, k] : [k, n]);
  const outShape = transA ? [m, n] : [...a.shape.slice(0, -1), n];
  if (!opts.out && (opts.beta ?? 0) !== 0) throw new Error(`${op}: beta = ${opts.beta} accumulates into out, but no out was given`);
  const out = opts.out ?? Tensor.zeros(a.rt, 'f32', outShape, a.arena);
  expectShape(op, 'out', out, 'f32', outShape);
  const arena = sameArena(op, out, a, b);
  if (overlaps(out, a) || overlaps(out, b)) throw new Error(`${op}: out must not overlap a or b`);
  if (m === 0 || n === 0) return out;
  if (k === 0) throw new RangeError(`${op}: the inner dimension K is 0`);
  gemm(out.rt, {
    arena,
    a: a.offset,
    lda: transA ? m : k,
    transA,
    b: b.offset,
    ldb: transB ? k : n,
    transB,
    btype: b.dtype as GemmBType, // checked by expectShape above
    c: out.offset,
    ldc: n,
    m,
    n,
    k,
    alpha: opts.alpha ?? 1,
    beta: opts.beta ?? 0,
  });
  return out;
}

function overlaps(x: Tensor, y: Tensor): boolean {
  return x.offset < y.offset + y.byteLength && y.offset < x.offset + x.byteLength;
}

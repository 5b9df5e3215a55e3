// Training attention (forward and backward) in register tiles: causal GQA within B independent
// sequences, computed 4 query rows at a time as small matrix products over packed K, V, Q and dOut
// (the per-row kernels of attention.ts / attention-backward.ts do one dot product per key and run at
// about a fifth of this speed). Used when the thread's scratch holds one kv head's packed sequence
// (`attention_tiled_scratch_bytes`); the ops fall back to the per-row kernels otherwise.
//
// Shapes: q, dout, out, dq [B, T, hq, dim]; k, v, dk, dv [B, T, hkv, dim]; head h reads kv head
// h / (hq / hkv); token t sees tokens 0 ..= t of its own sequence. Every product is mul + add (no
// FMA), so the SIMD128 and relaxed builds give the same bits, and each unit of work is computed by one
// thread in a fixed order, so any thread count gives the same bits.
//
// Masking: a block's 4 rows have different lengths. Products over keys run over the keys every row of
// the block sees (s <= t0) in the tile, then each row adds its own last keys one by one, so a key
// (or a NaN in it) never reaches a row that cannot see it.
//
// Packed samples (segs != 0: i32 [B, T], where each token's segment starts in its row; token t sees
// tokens segs[t] ..= t): each segment is run as a sequence of its own (packed from its first token,
// query blocks from its first row), so keys outside a segment are never packed, scored or multiplied,
// a sequence of short samples costs the sum of their squares rather than T^2, and every segment's
// bits are those of the same kernel on that sample alone. The cost of the block-diagonal mask is one
// part-filled block of query rows per segment.
import { dot } from './simd';

/** Query rows per block: the tile height. */
const QB: i32 = 4;
/** Keys or columns per tile: the tile width (two f32x4). */
const NB: i32 = 8;

// @ts-ignore: decorator
@inline function roundUp(x: i32, m: i32): i32 {
  return ((x + m - 1) / m) * m;
}

// @ts-ignore: decorator
@inline function align16(x: usize): usize {
  return (x + 15) & ~(<usize>15);
}

/**
 * End (exclusive) of the segment that starts at `first` in row `row` of segs (see the file's head;
 * 0: unpacked, the row is one segment): the next token that starts a segment of its own, or seqLen.
 */
function segmentEnd(segs: usize, row: i32, seqLen: i32, first: i32): i32 {
  if (segs == 0) return seqLen;
  const base = segs + (<usize>row * <usize>seqLen << 2);
  let t = first + 1;
  while (t < seqLen && load<i32>(base + (<usize>t << 2)) != t) t++;
  return t;
}

// Scratch regions, in this order from the (16-byte aligned) scratch pointer; T8 = T rounded up to NB,
// dimP = dim rounded up to NB. Forward: KT, VR, S, PT, QBK, TILE. Backward adds VT, KR, DK, DV, DP,
// DST, DOB, QROW, DOROW.
//   KT, VT  K^T, V^T in panels of NB keys: [T8 / NB][dim][NB]      T8 * dim floats
//   KR, VR  K, V rows zero-padded: [T8][dimP]                       T8 * dimP
//   DK, DV  dK, dV accumulators [T8][dimP]                          T8 * dimP
//   S, DP   the block's probabilities / dP then scale * dS [QB][T8] QB * T8
//   PT, DST P^T, (scale dS)^T of the block [T8][QB]                 T8 * QB
//   QBK, DOB query / dOut block dim-major [dim][QB]                 dim * QB
//   QROW, DOROW query / dOut block rows [QB][dimP]                  QB * dimP
//   TILE    one QB x NB output tile                                 QB * NB

/** expf4's constants, written to the scratch once per call (V8 rebuilds v128 constants at every use in a loop). */
const CONST_BYTES: usize = 16 * 16;

function writeConsts(c: usize): void {
  v128.store(c, f32x4.splat(-104.0), 0);
  v128.store(c, f32x4.splat(89.0), 16);
  v128.store(c, f32x4.splat(1.44269504088896341), 32);
  v128.store(c, f32x4.splat(0.693359375), 48);
  v128.store(c, f32x4.splat(-2.12194440e-4), 64);
  v128.store(c, f32x4.splat(1.9875691500e-4), 80);
  v128.store(c, f32x4.splat(1.3981999507e-3), 96);
  v128.store(c, f32x4.splat(8.3334519073e-3), 112);
  v128.store(c, f32x4.splat(4.1665795894e-2), 128);
  v128.store(c, f32x4.splat(1.6666665459e-1), 144);
  v128.store(c, f32x4.splat(5.0000001201e-1), 160);
  v128.store(c, f32x4.splat(1.0), 176);
  v128.store(c, f32x4.splat(12582912.0), 192);
  v128.store(c, i32x4.splat(0x4b400000), 208);
  v128.store(c, i32x4.splat(127), 224);
  v128.store(c, i32x4(0, 1, 2, 3), 240);
}

/** simd.ts expf4 (the same operations, so the same bits) with its constants read from c. */
// @ts-ignore: decorator
@inline function expf4c(x0: v128, c: usize): v128 {
  const x = f32x4.pmin(f32x4.pmax(x0, v128.load(c, 0)), v128.load(c, 16));
  const nf = f32x4.nearest(f32x4.mul(x, v128.load(c, 32)));
  let r = f32x4.sub(x, f32x4.mul(nf, v128.load(c, 48)));
  r = f32x4.sub(r, f32x4.mul(nf, v128.load(c, 64)));
  let p = v128.load(c, 80);
  p = f32x4.add(f32x4.mul(p, r), v128.load(c, 96));
  p = f32x4.add(f32x4.mul(p, r), v128.load(c, 112));
  p = f32x4.add(f32x4.mul(p, r), v128.load(c, 128));
  p = f32x4.add(f32x4.mul(p, r), v128.load(c, 144));
  p = f32x4.add(f32x4.mul(p, r), v128.load(c, 160));
  const r2 = f32x4.mul(r, r);
  const e = f32x4.add(f32x4.add(f32x4.mul(p, r2), r), v128.load(c, 176));
  const n = i32x4.sub(f32x4.add(nf, v128.load(c, 192)), v128.load(c, 208));
  const n1 = i32x4.shr_s(n, 1);
  const n2 = i32x4.sub(n, n1);
  const bias = v128.load(c, 224);
  const s1 = i32x4.shl(i32x4.add(n1, bias), 23);
  const s2 = i32x4.shl(i32x4.add(n2, bias), 23);
  return f32x4.mul(f32x4.mul(e, s1), s2);
}

/**
 * In place: r[s] = softmax over s < len of scale * r[s]. Whole vectors throughout: lanes past len
 * (inside the row's padding to 8) take part as 0 probabilities, so there is no scalar tail. A NaN
 * anywhere in the row makes the whole row NaN (through its exp and the sum), as in the forward.
 */
function softmaxRow(r: usize, len: i32, scale: f32, c: usize): void {
  const vs = f32x4.splat(scale);
  const n = (len + 3) & ~3;
  const live = i32x4.splat(len);
  const lane = v128.load(c, 240);
  let m = f32x4.splat(-Infinity);
  for (let j = 0; j < n; j += 4) {
    const o = <usize>j << 2;
    // Lanes at s >= len become -inf: they never win the max.
    const keep = i32x4.lt_s(i32x4.add(lane, i32x4.splat(j)), live);
    const y = v128.bitselect(f32x4.mul(v128.load(r + o), vs), f32x4.splat(-Infinity), keep);
    v128.store(r + o, y);
    m = f32x4.pmax(m, y);
  }
  const mx = f32x4.splat(max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3))));
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let j = 0;
  const full = len & ~3;
  for (; j + 8 <= full; j += 8) {
    const o = <usize>j << 2;
    const e0 = expf4c(f32x4.sub(v128.load(r + o), mx), c);
    const e1 = expf4c(f32x4.sub(v128.load(r + o, 16), mx), c);
    v128.store(r + o, e0);
    v128.store(r + o, e1, 16);
    acc0 = f32x4.add(acc0, e0);
    acc1 = f32x4.add(acc1, e1);
  }
  if (j + 4 <= full) {
    const o = <usize>j << 2;
    const e0 = expf4c(f32x4.sub(v128.load(r + o), mx), c);
    v128.store(r + o, e0);
    acc0 = f32x4.add(acc0, e0);
    j += 4;
  }
  if (j < n) {
    // The last vector may hold padding: exp(0) there, then 0 (exp of -inf would round through a
    // subnormal, which costs a microcode assist per lane on this kind of CPU).
    const o = <usize>j << 2;
    const keep = i32x4.lt_s(i32x4.add(lane, i32x4.splat(j)), live);
    const e0 = v128.and(expf4c(v128.and(f32x4.sub(v128.load(r + o), mx), keep), c), keep);
    v128.store(r + o, e0);
    acc0 = f32x4.add(acc0, e0);
  }
  const sum = f32x4.add(acc0, acc1);
  const inv = f32x4.splat(1.0 / ((f32x4.extract_lane(sum, 0) + f32x4.extract_lane(sum, 1)) + (f32x4.extract_lane(sum, 2) + f32x4.extract_lane(sum, 3))));
  for (let k = 0; k < n; k += 4) {
    const o = <usize>k << 2;
    v128.store(r + o, f32x4.mul(v128.load(r + o), inv));
  }
}

// @ts-ignore: decorator
@inline function panelBytes(seqLen: i32, dim: i32): usize {
  return align16(<usize>roundUp(seqLen, NB) * <usize>dim * 4);
}
// @ts-ignore: decorator
@inline function rowsBytes(seqLen: i32, dim: i32): usize {
  return align16(<usize>roundUp(seqLen, NB) * <usize>roundUp(dim, NB) * 4);
}
// @ts-ignore: decorator
@inline function blockBytes(seqLen: i32): usize {
  return <usize>(QB * roundUp(seqLen, NB)) * 4;
}
// @ts-ignore: decorator
@inline function smallBytes(dim: i32): usize {
  return align16(<usize>(QB * roundUp(dim, NB)) * 4);
}

/** Scratch bytes per thread the tiled kernels need (forward: backward = 0), alignment slack included. */
export function attention_tiled_scratch_bytes(seqLen: i32, dim: i32, backward: i32): i32 {
  let n: u64 = 16 + CONST_BYTES + <u64>panelBytes(seqLen, dim) + <u64>rowsBytes(seqLen, dim) + 2 * <u64>blockBytes(seqLen) + <u64>smallBytes(dim) + <u64>(QB * NB * 4);
  if (backward != 0) n += <u64>panelBytes(seqLen, dim) + 3 * <u64>rowsBytes(seqLen, dim) + 2 * <u64>blockBytes(seqLen) + 3 * <u64>smallBytes(dim);
  return n > 0x7fffffff ? 0x7fffffff : <i32>n;
}

// ---- packing -------------------------------------------------------------------------------------

/** rows x dim (row stride `stride` bytes) into panels of NB rows, each [dim][NB]; rows past `rows` zero. */
function packPanels(src: usize, stride: usize, rows: i32, dim: i32, dst: usize): void {
  const t8 = roundUp(rows, NB);
  for (let p = 0; p < t8; p += NB) {
    const panel = dst + <usize>(p * dim) * 4;
    for (let j = 0; j < NB; j++) {
      const r = p + j;
      const col = panel + (<usize>j << 2);
      if (r < rows) {
        const row = src + <usize>r * stride;
        for (let i = 0; i < dim; i++) store<f32>(col + (<usize>(i * NB) << 2), load<f32>(row + (<usize>i << 2)));
      } else {
        for (let i = 0; i < dim; i++) store<f32>(col + (<usize>(i * NB) << 2), 0);
      }
    }
  }
}

/** rows x dim (row stride `stride` bytes) into [rows][dimP] with zero columns past dim. */
function packRows(src: usize, stride: usize, rows: i32, dim: i32, dimP: i32, dst: usize): void {
  const rowBytes = <usize>dimP << 2;
  for (let r = 0; r < rows; r++) {
    const d = dst + <usize>r * rowBytes;
    memory.copy(d, src + <usize>r * stride, <usize>dim << 2);
    if (dimP > dim) memory.fill(d + (<usize>dim << 2), 0, <usize>(dimP - dim) << 2);
  }
}

/**
 * Up to QB rows (stride bytes) into [dim][QB] (missing rows zero) and, if rowsDst, into [QB][dimP]
 * (zero padded). Whole vectors through 4 x 4 transposes; a dim not a multiple of 4 ends in scalars.
 */
function packBlock(src: usize, stride: usize, nrows: i32, dim: i32, dimP: i32, dst: usize, rowsDst: usize): void {
  const r1 = src + stride;
  const r2 = src + 2 * stride;
  const r3 = src + 3 * stride;
  const zero = f32x4.splat(0);
  const d4 = dim & ~3;
  for (let j = 0; j < d4; j += 4) {
    const o = <usize>j << 2;
    const x0 = v128.load(src + o);
    const x1 = nrows > 1 ? v128.load(r1 + o) : zero;
    const x2 = nrows > 2 ? v128.load(r2 + o) : zero;
    const x3 = nrows > 3 ? v128.load(r3 + o) : zero;
    const a = f32x4.shuffle(x0, x1, 0, 4, 1, 5);
    const b = f32x4.shuffle(x2, x3, 0, 4, 1, 5);
    const c = f32x4.shuffle(x0, x1, 2, 6, 3, 7);
    const d = f32x4.shuffle(x2, x3, 2, 6, 3, 7);
    const p = dst + (<usize>j << 4);
    v128.store(p, f32x4.shuffle(a, b, 0, 1, 4, 5));
    v128.store(p, f32x4.shuffle(a, b, 2, 3, 6, 7), 16);
    v128.store(p, f32x4.shuffle(c, d, 0, 1, 4, 5), 32);
    v128.store(p, f32x4.shuffle(c, d, 2, 3, 6, 7), 48);
  }
  for (let j = d4; j < dim; j++) {
    const o = <usize>j << 2;
    const p = dst + (<usize>j << 4);
    for (let i = 0; i < QB; i++) store<f32>(p + (<usize>i << 2), i < nrows ? load<f32>(src + <usize>i * stride + o) : 0);
  }
  if (rowsDst == 0) return;
  const rowBytes = <usize>dimP << 2;
  for (let i = 0; i < QB; i++) {
    const d = rowsDst + <usize>i * rowBytes;
    if (i < nrows) {
      const r = src + <usize>i * stride;
      for (let j = 0; j < d4; j += 4) v128.store(d + (<usize>j << 2), v128.load(r + (<usize>j << 2)));
      for (let j = d4; j < dim; j++) store<f32>(d + (<usize>j << 2), load<f32>(r + (<usize>j << 2)));
      for (let j = dim; j < dimP; j++) store<f32>(d + (<usize>j << 2), 0);
    } else {
      for (let j = 0; j < dimP; j += 4) v128.store(d + (<usize>j << 2), zero);
    }
  }
}

// ---- the register tile ---------------------------------------------------------------------------

/**
 * out[QB][NB] (row stride outStride bytes) = sum over k < kc of A[k][0..QB) x B[k][0..NB), with A
 * packed QB floats per k and B rows bStride bytes apart. Not unrolled (ENGINE-NOTES: V8 spills).
 */
function tile(pa: usize, pb: usize, bStride: usize, kc: i32, out: usize, outStride: usize): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (let kk = 0; kk < kc; kk++) {
    const av = v128.load(pa);
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let s = f32x4.shuffle(av, av, 0, 0, 0, 0);
    c00 = f32x4.add(c00, f32x4.mul(s, b0));
    c01 = f32x4.add(c01, f32x4.mul(s, b1));
    s = f32x4.shuffle(av, av, 1, 1, 1, 1);
    c10 = f32x4.add(c10, f32x4.mul(s, b0));
    c11 = f32x4.add(c11, f32x4.mul(s, b1));
    s = f32x4.shuffle(av, av, 2, 2, 2, 2);
    c20 = f32x4.add(c20, f32x4.mul(s, b0));
    c21 = f32x4.add(c21, f32x4.mul(s, b1));
    s = f32x4.shuffle(av, av, 3, 3, 3, 3);
    c30 = f32x4.add(c30, f32x4.mul(s, b0));
    c31 = f32x4.add(c31, f32x4.mul(s, b1));
    pa += 16;
    pb += bStride;
  }
  v128.store(out, c00);
  v128.store(out, c01, 16);
  out += outStride;
  v128.store(out, c10);
  v128.store(out, c11, 16);
  out += outStride;
  v128.store(out, c20);
  v128.store(out, c21, 16);
  out += outStride;
  v128.store(out, c30);
  v128.store(out, c31, 16);
}

/** x[0..n) += a * y[0..n) with n a multiple of 4. */
// @ts-ignore: decorator
@inline function axpy(x: usize, a: f32, y: usize, n: i32): void {
  const va = f32x4.splat(a);
  for (let i = 0; i < n; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.add(v128.load(x + o), f32x4.mul(va, v128.load(y + o))));
  }
}

/**
 * rowsOut[i][0..dim) for the block's rows i < nrows = sum over s <= t0 + i of W[s][i] * X[s][0..dim):
 * W packed [s][QB] (zero where a row cannot see s), X rows [s][dimP]. Keys s <= t0 (seen by every
 * row) go through the tile; each row then adds its own keys t0 < s <= t0 + i in order.
 */
function blockTimesRows(w: usize, x: usize, dimP: i32, t0: i32, nrows: i32, dim: i32, out: usize, outStride: usize, tmp: usize): void {
  const xStride = <usize>dimP << 2;
  for (let c = 0; c < dimP; c += NB) {
    tile(w, x + (<usize>c << 2), xStride, t0 + 1, tmp, <usize>(NB << 2));
    const cols = min(NB, dim - c);
    for (let i = 0; i < nrows; i++) {
      const tr = tmp + (<usize>(i * NB) << 2);
      for (let s = t0 + 1; s <= t0 + i; s++) {
        axpy(tr, load<f32>(w + (<usize>(s * QB + i) << 2)), x + <usize>s * xStride + (<usize>c << 2), NB);
      }
      const o = out + <usize>i * outStride + (<usize>c << 2);
      if (cols == NB) {
        v128.store(o, v128.load(tr));
        v128.store(o, v128.load(tr, 16), 16);
      } else {
        for (let j = 0; j < cols; j++) store<f32>(o + (<usize>j << 2), load<f32>(tr + (<usize>j << 2)));
      }
    }
  }
}

/**
 * acc[s][0..dimP) += sum over block rows i that see s of W[s][i] * rows[i][0..dimP), for s < t0 + nrows:
 * the rank-QB update of dK or dV. rows [QB][dimP] (zero past nrows), W [s][QB] (zero where masked).
 */
function rankUpdate(w: usize, rows: usize, dimP: i32, t0: i32, nrows: i32, acc: usize): void {
  const rowBytes = <usize>dimP << 2;
  for (let c = 0; c < dimP; c += NB) {
    const o = <usize>c << 2;
    const r0a = v128.load(rows + o), r0b = v128.load(rows + o, 16);
    const r1a = v128.load(rows + rowBytes + o), r1b = v128.load(rows + rowBytes + o, 16);
    const r2a = v128.load(rows + 2 * rowBytes + o), r2b = v128.load(rows + 2 * rowBytes + o, 16);
    const r3a = v128.load(rows + 3 * rowBytes + o), r3b = v128.load(rows + 3 * rowBytes + o, 16);
    let ws = w;
    let a = acc + o;
    for (let s = 0; s <= t0; s++) {
      const wv = v128.load(ws);
      let x0 = v128.load(a);
      let x1 = v128.load(a, 16);
      let sp = f32x4.shuffle(wv, wv, 0, 0, 0, 0);
      x0 = f32x4.add(x0, f32x4.mul(sp, r0a));
      x1 = f32x4.add(x1, f32x4.mul(sp, r0b));
      sp = f32x4.shuffle(wv, wv, 1, 1, 1, 1);
      x0 = f32x4.add(x0, f32x4.mul(sp, r1a));
      x1 = f32x4.add(x1, f32x4.mul(sp, r1b));
      sp = f32x4.shuffle(wv, wv, 2, 2, 2, 2);
      x0 = f32x4.add(x0, f32x4.mul(sp, r2a));
      x1 = f32x4.add(x1, f32x4.mul(sp, r2b));
      sp = f32x4.shuffle(wv, wv, 3, 3, 3, 3);
      x0 = f32x4.add(x0, f32x4.mul(sp, r3a));
      x1 = f32x4.add(x1, f32x4.mul(sp, r3b));
      v128.store(a, x0);
      v128.store(a, x1, 16);
      ws += 16;
      a += rowBytes;
    }
  }
  // Keys t0 < s < t0 + nrows: only rows i >= s - t0 see them.
  for (let s = t0 + 1; s < t0 + nrows; s++) {
    for (let i = s - t0; i < nrows; i++) {
      axpy(acc + <usize>s * rowBytes, load<f32>(w + (<usize>(s * QB + i) << 2)), rows + <usize>i * rowBytes, dimP);
    }
  }
}

/** out[i][s] = qblock_i . k_s for the block's QB rows and keys s < keys rounded up to NB. */
function blockScores(qblock: usize, panels: usize, dim: i32, keys: i32, out: usize, outRow: usize): void {
  const panel = <usize>(dim * NB) << 2;
  for (let p = 0; p < keys; p += NB) tile(qblock, panels + <usize>(p / NB) * panel, <usize>(NB << 2), dim, out + (<usize>p << 2), outRow);
}

/**
 * Probabilities of a block of query rows t0 .. t0 + nrows - 1 (packed dim-major at qblock): row i of
 * s = softmax over keys s <= t0 + i of scale * q . k_s. Forward and backward share it, so the
 * backward sees exactly the forward's P.
 */
function blockProbs(qblock: usize, kt: usize, dim: i32, t0: i32, nrows: i32, scale: f32, s: usize, sRow: usize, c: usize): void {
  blockScores(qblock, kt, dim, t0 + nrows, s, sRow);
  for (let i = 0; i < nrows; i++) softmaxRow(s + <usize>i * sRow, t0 + i + 1, scale, c);
}

/** dst[s][i] = src row i at s where row i (token t0 + i, i < nrows) sees key s, else 0; s < t0 + nrows. */
function packMaskedT(src: usize, sRow: usize, t0: i32, nrows: i32, dst: usize): void {
  const n = t0 + nrows;
  // 4 x 4 transposes over every key, then the masked entries zeroed (rows past nrows hold stale
  // scratch, keys past a row's own token its padding).
  for (let s = 0; s < n; s += 4) {
    const o = <usize>s << 2;
    const x0 = v128.load(src + o);
    const x1 = v128.load(src + sRow + o);
    const x2 = v128.load(src + 2 * sRow + o);
    const x3 = v128.load(src + 3 * sRow + o);
    const a = f32x4.shuffle(x0, x1, 0, 4, 1, 5);
    const b = f32x4.shuffle(x2, x3, 0, 4, 1, 5);
    const c = f32x4.shuffle(x0, x1, 2, 6, 3, 7);
    const d = f32x4.shuffle(x2, x3, 2, 6, 3, 7);
    const p = dst + (<usize>s << 4);
    v128.store(p, f32x4.shuffle(a, b, 0, 1, 4, 5));
    v128.store(p, f32x4.shuffle(a, b, 2, 3, 6, 7), 16);
    v128.store(p, f32x4.shuffle(c, d, 0, 1, 4, 5), 32);
    v128.store(p, f32x4.shuffle(c, d, 2, 3, 6, 7), 48);
  }
  for (let s = t0 + 1; s < n; s++) {
    for (let i = 0; i < s - t0; i++) store<f32>(dst + (<usize>(s * QB + i) << 2), 0);
  }
  for (let i = nrows; i < QB; i++) {
    for (let s = 0; s < n; s++) store<f32>(dst + (<usize>(s * QB + i) << 2), 0);
  }
}

/**
 * Training forward, units (sequence b, query head h): u = b * hq + h. Per segment (the whole sequence
 * when segs = 0): packs the kv head's K^T and V, then per block of QB query rows: probabilities, then
 * out = P V.
 */
export function attention_train_tiled_f32(
  q: usize, k: usize, v: usize, out: usize, seqLen: i32, hq: i32, hkv: i32, dim: i32, scale: f32, segs: usize,
  start: i32, end: i32, scratch: usize,
): void {
  const group = hq / hkv;
  const dimP = roundUp(dim, NB);
  const rowBytes = <usize>dim << 2;
  const qStride = <usize>hq * rowBytes;
  const kvStride = <usize>hkv * rowBytes;
  const sRow = <usize>roundUp(seqLen, NB) << 2;
  const cst = align16(scratch);
  writeConsts(cst);
  const kt = cst + CONST_BYTES;
  const vr = kt + panelBytes(seqLen, dim);
  const s = vr + rowsBytes(seqLen, dim);
  const pt = s + blockBytes(seqLen);
  const qbk = pt + blockBytes(seqLen);
  const tmp = qbk + smallBytes(dim);
  for (let u = start; u < end; u++) {
    const b = u / hq;
    const h = u - b * hq;
    for (let first = 0; first < seqLen; ) {
      const last = segmentEnd(segs, b, seqLen, first);
      const segLen = last - first;
      const kvBase = (<usize>b * <usize>seqLen + <usize>first) * kvStride + <usize>(h / group) * rowBytes;
      packPanels(k + kvBase, kvStride, segLen, dim, kt);
      packRows(v + kvBase, kvStride, segLen, dim, dimP, vr);
      const qBase = (<usize>b * <usize>seqLen + <usize>first) * qStride + <usize>h * rowBytes;
      for (let t0 = 0; t0 < segLen; t0 += QB) {
        const nrows = min(QB, segLen - t0);
        const qrow = qBase + <usize>t0 * qStride;
        packBlock(q + qrow, qStride, nrows, dim, dimP, qbk, 0);
        blockProbs(qbk, kt, dim, t0, nrows, scale, s, sRow, cst);
        packMaskedT(s, sRow, t0, nrows, pt);
        blockTimesRows(pt, vr, dimP, t0, nrows, dim, out + qrow, qStride, tmp);
      }
      first = last;
    }
  }
}

/**
 * Training backward, units (sequence b, kv head g): u = b * hkv + g. A unit owns dk, dv of its kv
 * head (accumulated in scratch over its query heads, then written) and dq of its query heads. Per
 * block of QB query rows of head h: P (the forward's), dP = dOut V^T, delta = P . dP per row,
 * dS' = scale P (dP - delta); dq = dS' K (overwritten), dV += P^T dOut, dK += dS'^T q.
 * With segs, all of that per segment, each as a sequence of its own.
 */
export function attention_backward_tiled_f32(
  q: usize, k: usize, v: usize, dout: usize, dq: usize, dk: usize, dv: usize,
  seqLen: i32, hq: i32, hkv: i32, dim: i32, scale: f32, segs: usize,
  start: i32, end: i32, scratch: usize,
): void {
  const group = hq / hkv;
  const dimP = roundUp(dim, NB);
  const rowBytes = <usize>dim << 2;
  const qStride = <usize>hq * rowBytes;
  const kvStride = <usize>hkv * rowBytes;
  const sRow = <usize>roundUp(seqLen, NB) << 2;
  const cst = align16(scratch);
  writeConsts(cst);
  const kt = cst + CONST_BYTES;
  const vr = kt + panelBytes(seqLen, dim); // unused by the backward: keeps the forward's layout
  const s = vr + rowsBytes(seqLen, dim);
  const pt = s + blockBytes(seqLen);
  const qbk = pt + blockBytes(seqLen);
  const tmp = qbk + smallBytes(dim);
  const vt = tmp + <usize>(QB * NB * 4);
  const kr = vt + panelBytes(seqLen, dim);
  const dkAcc = kr + rowsBytes(seqLen, dim);
  const dvAcc = dkAcc + rowsBytes(seqLen, dim);
  const dp = dvAcc + rowsBytes(seqLen, dim);
  const dst = dp + blockBytes(seqLen);
  const dob = dst + blockBytes(seqLen);
  const qrows = dob + smallBytes(dim);
  const dorows = qrows + smallBytes(dim);
  const vscale = f32x4.splat(scale);
  for (let u = start; u < end; u++) {
    const b = u / hkv;
    const g = u - b * hkv;
    for (let first = 0; first < seqLen; ) {
      const last = segmentEnd(segs, b, seqLen, first);
      const segLen = last - first;
      const kvBase = (<usize>b * <usize>seqLen + <usize>first) * kvStride + <usize>g * rowBytes;
      packPanels(k + kvBase, kvStride, segLen, dim, kt);
      packPanels(v + kvBase, kvStride, segLen, dim, vt);
      packRows(k + kvBase, kvStride, segLen, dim, dimP, kr);
      const accBytes = <usize>segLen * (<usize>dimP << 2);
      memory.fill(dkAcc, 0, accBytes);
      memory.fill(dvAcc, 0, accBytes);
      for (let h = g * group; h < (g + 1) * group; h++) {
        const qBase = (<usize>b * <usize>seqLen + <usize>first) * qStride + <usize>h * rowBytes;
        for (let t0 = 0; t0 < segLen; t0 += QB) {
          const nrows = min(QB, segLen - t0);
          const qrow = qBase + <usize>t0 * qStride;
          packBlock(q + qrow, qStride, nrows, dim, dimP, qbk, qrows);
          packBlock(dout + qrow, qStride, nrows, dim, dimP, dob, dorows);
          blockProbs(qbk, kt, dim, t0, nrows, scale, s, sRow, cst);
          blockScores(dob, vt, dim, t0 + nrows, dp, sRow);
          for (let i = 0; i < nrows; i++) {
            const pr = s + <usize>i * sRow;
            const dr = dp + <usize>i * sRow;
            const len = t0 + i + 1;
            const vdelta = f32x4.splat(dot(pr, dr, len));
            // Lanes past len hold scratch values; packMaskedT never reads them.
            for (let j = 0; j < len; j += 4) {
              const o = <usize>j << 2;
              const ds = f32x4.mul(v128.load(pr + o), f32x4.sub(v128.load(dr + o), vdelta));
              v128.store(dr + o, f32x4.mul(vscale, ds));
            }
          }
          packMaskedT(s, sRow, t0, nrows, pt);
          packMaskedT(dp, sRow, t0, nrows, dst);
          blockTimesRows(dst, kr, dimP, t0, nrows, dim, dq + qrow, qStride, tmp);
          rankUpdate(pt, dorows, dimP, t0, nrows, dvAcc);
          rankUpdate(dst, qrows, dimP, t0, nrows, dkAcc);
        }
      }
      const accRow = <usize>dimP << 2;
      for (let t = 0; t < segLen; t++) {
        memory.copy(dk + kvBase + <usize>t * kvStride, dkAcc + <usize>t * accRow, rowBytes);
        memory.copy(dv + kvBase + <usize>t * kvStride, dvAcc + <usize>t * accRow, rowBytes);
      }
      first = last;
    }
  }
}

/**
 * Prompt processing over a KV cache: T new query tokens at positions pos0 .. pos0 + T - 1, units
 * query heads h (q, out [T, hq, dim]; k, v [S_max, hkv, dim], token t sees cache rows
 * 0 ..= pos0 + t). The training forward's blocks with the block's first row at key pos0 + t0.
 * Consecutive heads of one kv head in a thread's range share the packed K^T and V (the op splits the
 * heads at multiples of hq / hkv), so each cache row is packed once per kv head and thread.
 */
export function attention_prefill_tiled_f32(
  q: usize, k: usize, v: usize, out: usize, hq: i32, hkv: i32, dim: i32, pos0: i32, T: i32, scale: f32,
  start: i32, end: i32, scratch: usize,
): void {
  const group = hq / hkv;
  const len = pos0 + T;
  const dimP = roundUp(dim, NB);
  const rowBytes = <usize>dim << 2;
  const qStride = <usize>hq * rowBytes;
  const kvStride = <usize>hkv * rowBytes;
  const sRow = <usize>roundUp(len, NB) << 2;
  const cst = align16(scratch);
  writeConsts(cst);
  const kt = cst + CONST_BYTES;
  const vr = kt + panelBytes(len, dim);
  const s = vr + rowsBytes(len, dim);
  const pt = s + blockBytes(len);
  const qbk = pt + blockBytes(len);
  const tmp = qbk + smallBytes(dim);
  let packed = -1;
  for (let h = start; h < end; h++) {
    const g = h / group;
    if (g != packed) {
      const kvBase = <usize>g * rowBytes;
      packPanels(k + kvBase, kvStride, len, dim, kt);
      packRows(v + kvBase, kvStride, len, dim, dimP, vr);
      packed = g;
    }
    const qBase = <usize>h * rowBytes;
    for (let t0 = 0; t0 < T; t0 += QB) {
      const nrows = min(QB, T - t0);
      const qrow = qBase + <usize>t0 * qStride;
      packBlock(q + qrow, qStride, nrows, dim, dimP, qbk, 0);
      blockProbs(qbk, kt, dim, pos0 + t0, nrows, scale, s, sRow, cst);
      packMaskedT(s, sRow, pos0 + t0, nrows, pt);
      blockTimesRows(pt, vr, dimP, pos0 + t0, nrows, dim, out + qrow, qStride, tmp);
    }
  }
}

// f32 GEMM: C = alpha * op(A) * op(B) + beta * C, with op(A) [M, K] f32 and op(B) [K, N] stored as
// f32, f16 or bf16. Goto/BLIS structure: B panels [KC, NC] and A blocks [MC, KC] are packed into the
// thread's scratch (B converted to f32 on the way), then an MR x NR register tile runs over them.
//
// Parallel split: units are columns of C, split at multiples of NR. Every element of C is reduced
// in the same order (K blocks of KC, then k inside a block) whichever thread owns its column and
// wherever that thread's NC blocks start, so results do not depend on the thread count.

/** Columns of the register tile (two f32x4 vectors). Thread splits must be multiples of this. */
const NR: i32 = 8;
/** Rows of the register tile. With FMA, 5 rows fit the 15 usable xmm registers (ENGINE-NOTES: 50 vs 38 GFLOP/s). */
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 5 : 4;
/** K depth of a packed block: an A micro-panel (MR x KC, 10 KiB) and a B micro-panel (KC x NR, 16 KiB)
 *  share L1; deeper blocks halve the passes over C (measured: 512 a little ahead of 256 and 384). */
const KC: i32 = 512;
/** Rows of a packed A block (240 KiB at KC = 512, kept in L2); a multiple of 4 and of 5. */
const MC: i32 = 120;
/** Columns of a packed B panel (1 MiB at KC = 512). */
const NC: i32 = 512;

// Scratch layout (bytes from the thread's scratch pointer).
const B_PANEL: usize = 0;
const A_BLOCK: usize = B_PANEL + <usize>(KC * NC * 4);
const TILE: usize = A_BLOCK + <usize>(MC * KC * 4);
const SCRATCH_BYTES: usize = TILE + <usize>(MR * NR * 4);

/** Element types of B (`btype` argument). */
const B_F32: i32 = 0;
const B_F16: i32 = 1;
const B_BF16: i32 = 2;

/** Scratch bytes one thread needs for gemm_f32 (the runtime's per-thread scratch must be at least this). */
export function gemm_f32_scratch_bytes(): i32 {
  return <i32>SCRATCH_BYTES;
}

/** NR, the column granularity the parallel split must use (`align` of rt.parallel). */
export function gemm_f32_nr(): i32 {
  return NR;
}

/**
 * C[M, N] (row stride ldc) = alpha * op(A) * op(B) + beta * C for columns [start, end) of C.
 * op(A) = A [M, K] (stride lda) or, with transA, A^T where A is [K, M]. op(B) = B [K, N] (stride ldb)
 * or, with transB, B^T where B is [N, K] (a Hugging Face weight). Strides are in elements.
 * beta = 0 overwrites C without reading it. start and end must be multiples of NR (end may be N).
 */
export function gemm_f32(
  a: usize, lda: i32, transA: i32,
  b: usize, ldb: i32, transB: i32, btype: i32,
  c: usize, ldc: i32,
  m: i32, n: i32, k: i32, alpha: f32, beta: f32,
  start: i32, end: i32, scratch: usize,
): void {
  const pb = scratch + B_PANEL;
  const pa = scratch + A_BLOCK;
  const tile = scratch + TILE;
  end = min(end, n);
  for (let jc = start; jc < end; jc += NC) {
    const nc = min(NC, end - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      // Later K blocks add to what the first one wrote.
      const bt: f32 = pc == 0 ? beta : 1;
      packB(b, ldb, transB, btype, pc, jc, kc, nc, pb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(a, lda, transA, ic, pc, mc, kc, pa);
        const cblock = c + ((<usize>ic * <usize>ldc + <usize>jc) << 2);
        macroKernel(pa, pb, cblock, ldc, mc, nc, kc, alpha, bt, tile);
      }
    }
  }
}

/**
 * gemm_f32 for rows [start, end) of C and every column: the split for products with more rows than
 * columns (training's M = tokens), where each chunk re-packs only B (the smaller operand) instead of
 * all of A. Rows are computed with the same arithmetic wherever a chunk starts: same bits.
 */
export function gemm_f32_rows(
  a: usize, lda: i32, transA: i32,
  b: usize, ldb: i32, transB: i32, btype: i32,
  c: usize, ldc: i32,
  m: i32, n: i32, k: i32, alpha: f32, beta: f32,
  start: i32, end: i32, scratch: usize,
): void {
  end = min(end, m);
  if (start >= end) return;
  const aRow = transA ? <usize>start << 2 : (<usize>start * <usize>lda) << 2;
  gemm_f32(a + aRow, lda, transA, b, ldb, transB, btype, c + ((<usize>start * <usize>ldc) << 2), ldc, end - start, n, k, alpha, beta, 0, n, scratch);
}

/** Row granularity of gemm_f32_rows splits: a multiple of both register tile heights (4 and 5), fine
 *  enough that a few chunks of 688 rows balance over 2 threads (blocks of 120 gave 240 + 240 + 208). */
export function gemm_f32_row_align(): i32 {
  return 20;
}

/** Runs the register tile over a packed A block [mc, kc] and B panel [kc, nc]. */
function macroKernel(pa: usize, pb: usize, c: usize, ldc: i32, mc: i32, nc: i32, kc: i32, alpha: f32, beta: f32, tile: usize): void {
  const ldcBytes = <usize>ldc << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const bp = pb + (<usize>(jr * kc) << 2);
    for (let ir = 0; ir < mc; ir += MR) {
      const mr = min(MR, mc - ir);
      const ap = pa + (<usize>(ir * kc) << 2);
      const cp = c + <usize>ir * ldcBytes + (<usize>jr << 2);
      if (mr == MR && nr == NR) {
        microKernel(ap, bp, kc, cp, ldcBytes, alpha, beta);
      } else {
        // Edge tile: compute the full tile into scratch (padding is zero), then write the valid part
        // with the same scalar arithmetic the vector epilogue uses (alpha * acc + beta * c).
        microKernel(ap, bp, kc, tile, <usize>(NR << 2), 1, 0);
        storeEdge(tile, cp, ldcBytes, mr, nr, alpha, beta);
      }
    }
  }
}

function storeEdge(tile: usize, c: usize, ldcBytes: usize, mr: i32, nr: i32, alpha: f32, beta: f32): void {
  for (let i = 0; i < mr; i++) {
    const t = tile + (<usize>(i * NR) << 2);
    const cr = c + <usize>i * ldcBytes;
    for (let j = 0; j < nr; j++) {
      const acc = load<f32>(t + (<usize>j << 2));
      const q = cr + (<usize>j << 2);
      store<f32>(q, beta == 0 ? alpha * acc : alpha * acc + beta * load<f32>(q));
    }
  }
}

// @ts-ignore: decorator
@inline function fmadd(x: v128, y: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(x, y, acc);
  return f32x4.add(acc, f32x4.mul(x, y));
}

/** Writes one 8-wide row of C: alpha * acc (+ beta * C unless beta is 0, so NaN in C is overwritten). */
// @ts-ignore: decorator
@inline function storeRow(c: usize, x0: v128, x1: v128, al: v128, be: v128, beta0: bool): void {
  let y0 = f32x4.mul(al, x0);
  let y1 = f32x4.mul(al, x1);
  if (!beta0) {
    y0 = f32x4.add(y0, f32x4.mul(be, v128.load(c)));
    y1 = f32x4.add(y1, f32x4.mul(be, v128.load(c, 16)));
  }
  v128.store(c, y0);
  v128.store(c, y1, 16);
}

function microKernel(pa: usize, pb: usize, kc: i32, c: usize, ldcBytes: usize, alpha: f32, beta: f32): void {
  if (MR == 5) micro5x8(pa, pb, kc, c, ldcBytes, alpha, beta);
  else micro4x8(pa, pb, kc, c, ldcBytes, alpha, beta);
}

// The k loops below are deliberately not unrolled: V8 hoists the body's loads and spills beyond
// 15 xmm registers (ENGINE-NOTES). A is loaded as one vector and its lanes splat with shuffles.

/** acc[4, 8] = A panel [kc, 4] (packed k-major) x B panel [kc, 8], then the epilogue into C. */
function micro4x8(pa: usize, pb: usize, kc: i32, c: usize, ldcBytes: usize, alpha: f32, beta: f32): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (let kk = 0; kk < kc; kk++) {
    const av = v128.load(pa);
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let s = f32x4.shuffle(av, av, 0, 0, 0, 0);
    c00 = fmadd(s, b0, c00);
    c01 = fmadd(s, b1, c01);
    s = f32x4.shuffle(av, av, 1, 1, 1, 1);
    c10 = fmadd(s, b0, c10);
    c11 = fmadd(s, b1, c11);
    s = f32x4.shuffle(av, av, 2, 2, 2, 2);
    c20 = fmadd(s, b0, c20);
    c21 = fmadd(s, b1, c21);
    s = f32x4.shuffle(av, av, 3, 3, 3, 3);
    c30 = fmadd(s, b0, c30);
    c31 = fmadd(s, b1, c31);
    pa += 16;
    pb += 32;
  }
  const al = f32x4.splat(alpha);
  const be = f32x4.splat(beta);
  const beta0 = beta == 0;
  storeRow(c, c00, c01, al, be, beta0);
  storeRow(c + ldcBytes, c10, c11, al, be, beta0);
  storeRow(c + 2 * ldcBytes, c20, c21, al, be, beta0);
  storeRow(c + 3 * ldcBytes, c30, c31, al, be, beta0);
}

/** acc[5, 8] = A panel [kc, 5] x B panel [kc, 8]: lanes 0-3 of A come from one vector, row 4 from a splat load. */
function micro5x8(pa: usize, pb: usize, kc: i32, c: usize, ldcBytes: usize, alpha: f32, beta: f32): void {
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00;
  for (let kk = 0; kk < kc; kk++) {
    const av = v128.load(pa);
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let s = f32x4.shuffle(av, av, 0, 0, 0, 0);
    c00 = fmadd(s, b0, c00);
    c01 = fmadd(s, b1, c01);
    s = f32x4.shuffle(av, av, 1, 1, 1, 1);
    c10 = fmadd(s, b0, c10);
    c11 = fmadd(s, b1, c11);
    s = f32x4.shuffle(av, av, 2, 2, 2, 2);
    c20 = fmadd(s, b0, c20);
    c21 = fmadd(s, b1, c21);
    s = f32x4.shuffle(av, av, 3, 3, 3, 3);
    c30 = fmadd(s, b0, c30);
    c31 = fmadd(s, b1, c31);
    s = v128.load32_splat(pa, 16);
    c40 = fmadd(s, b0, c40);
    c41 = fmadd(s, b1, c41);
    pa += 20;
    pb += 32;
  }
  const al = f32x4.splat(alpha);
  const be = f32x4.splat(beta);
  const beta0 = beta == 0;
  storeRow(c, c00, c01, al, be, beta0);
  storeRow(c + ldcBytes, c10, c11, al, be, beta0);
  storeRow(c + 2 * ldcBytes, c20, c21, al, be, beta0);
  storeRow(c + 3 * ldcBytes, c30, c31, al, be, beta0);
  storeRow(c + 4 * ldcBytes, c40, c41, al, be, beta0);
}

// ---- packing ---------------------------------------------------------------------------------

/**
 * Packs op(A)[ic : ic + mc, pc : pc + kc] into micro-panels of MR rows: panel p holds, for each k,
 * its MR row values side by side (rows past mc are zero, so edge tiles need no special loop).
 */
function packA(a: usize, lda: i32, transA: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  if (transA) {
    // A is [K, M]: the MR values of one k are contiguous. k outer, so each row of A is read once,
    // in order, for all the block's panels.
    const full = mc - mc % MR;
    const panelBytes = <usize>(MR * kc) << 2;
    for (let kk = 0; kk < kc; kk++) {
      const src = a + ((<usize>(pc + kk) * <usize>lda + <usize>ic) << 2);
      let d = dst + (<usize>(kk * MR) << 2);
      let ir = 0;
      for (; ir < full; ir += MR) {
        const s = src + (<usize>ir << 2);
        v128.store(d, v128.load(s));
        if (MR == 5) store<f32>(d, load<f32>(s, 16), 16);
        d += panelBytes;
      }
      if (ir < mc) {
        for (let r = 0; r < MR; r++) store<f32>(d + (<usize>r << 2), ir + r < mc ? load<f32>(src + (<usize>(ir + r) << 2)) : 0);
      }
    }
    return;
  }
  // A is [M, K]: 4 k of 4 rows at a time through a 4 x 4 transpose (row 5 of the relaxed tile by lanes).
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const panel = dst + (<usize>(ir * kc) << 2);
    const row0 = a + ((<usize>(ic + ir) * <usize>lda + <usize>pc) << 2);
    const rowBytes = <usize>lda << 2;
    let kk = 0;
    if (mr == MR) {
      for (; kk + 4 <= kc; kk += 4) {
        const s = row0 + (<usize>kk << 2);
        const x0 = v128.load(s);
        const x1 = v128.load(s + rowBytes);
        const x2 = v128.load(s + 2 * rowBytes);
        const x3 = v128.load(s + 3 * rowBytes);
        const t0 = f32x4.shuffle(x0, x1, 0, 4, 1, 5);
        const t1 = f32x4.shuffle(x2, x3, 0, 4, 1, 5);
        const t2 = f32x4.shuffle(x0, x1, 2, 6, 3, 7);
        const t3 = f32x4.shuffle(x2, x3, 2, 6, 3, 7);
        const d = panel + (<usize>(kk * MR) << 2);
        v128.store(d, f32x4.shuffle(t0, t1, 0, 1, 4, 5));
        v128.store(d + (<usize>MR << 2), f32x4.shuffle(t0, t1, 2, 3, 6, 7));
        v128.store(d + (<usize>(2 * MR) << 2), f32x4.shuffle(t2, t3, 0, 1, 4, 5));
        v128.store(d + (<usize>(3 * MR) << 2), f32x4.shuffle(t2, t3, 2, 3, 6, 7));
        if (MR == 5) {
          const x4 = v128.load(s + 4 * rowBytes);
          store<f32>(d, f32x4.extract_lane(x4, 0), 16);
          store<f32>(d, f32x4.extract_lane(x4, 1), 36);
          store<f32>(d, f32x4.extract_lane(x4, 2), 56);
          store<f32>(d, f32x4.extract_lane(x4, 3), 76);
        }
      }
    }
    for (let r = 0; r < MR; r++) {
      const d = panel + (<usize>r << 2);
      if (r < mr) {
        const src = row0 + <usize>r * rowBytes;
        for (let k2 = kk; k2 < kc; k2++) store<f32>(d + (<usize>(k2 * MR) << 2), load<f32>(src + (<usize>k2 << 2)));
      } else {
        for (let k2 = kk; k2 < kc; k2++) store<f32>(d + (<usize>(k2 * MR) << 2), 0);
      }
    }
  }
}

/**
 * Packs op(B)[pc : pc + kc, jc : jc + nc] as f32 into micro-panels of NR columns: panel q holds, for
 * each k, its NR column values side by side (columns past nc are zero).
 */
function packB(b: usize, ldb: i32, transB: i32, btype: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  const esz: usize = btype == B_F32 ? 4 : 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const panel = dst + (<usize>(jr * kc) << 2);
    if (transB) packBPanelT(b, ldb, btype, esz, pc, jc + jr, kc, nr, panel);
    else if (nr == NR) packBPanelFull(b, ldb, btype, esz, pc, jc + jr, kc, panel);
    else packBPanelEdge(b, ldb, btype, esz, pc, jc + jr, kc, nr, panel);
  }
}

/** B is [K, N] and the panel has NR columns: one or two vector loads per k. */
function packBPanelFull(b: usize, ldb: i32, btype: i32, esz: usize, pc: i32, j: i32, kc: i32, panel: usize): void {
  let src = b + (<usize>pc * <usize>ldb + <usize>j) * esz;
  const step = <usize>ldb * esz;
  let d = panel;
  if (btype == B_F32) {
    for (let kk = 0; kk < kc; kk++) {
      v128.store(d, v128.load(src));
      v128.store(d, v128.load(src, 16), 16);
      src += step;
      d += 32;
    }
  } else if (btype == B_F16) {
    for (let kk = 0; kk < kc; kk++) {
      const h = v128.load(src);
      v128.store(d, f16x4ToF32(i32x4.extend_low_i16x8_u(h)));
      v128.store(d, f16x4ToF32(i32x4.extend_high_i16x8_u(h)), 16);
      src += step;
      d += 32;
    }
  } else {
    for (let kk = 0; kk < kc; kk++) {
      const h = v128.load(src);
      v128.store(d, i32x4.shl(i32x4.extend_low_i16x8_u(h), 16));
      v128.store(d, i32x4.shl(i32x4.extend_high_i16x8_u(h), 16), 16);
      src += step;
      d += 32;
    }
  }
}

/** B is [K, N], last panel narrower than NR: element by element, zero padding. */
function packBPanelEdge(b: usize, ldb: i32, btype: i32, esz: usize, pc: i32, j: i32, kc: i32, nr: i32, panel: usize): void {
  for (let kk = 0; kk < kc; kk++) {
    const src = b + (<usize>(pc + kk) * <usize>ldb + <usize>j) * esz;
    const d = panel + (<usize>(kk * NR) << 2);
    for (let col = 0; col < NR; col++) {
      store<f32>(d + (<usize>col << 2), col < nr ? loadB(src + <usize>col * esz, btype) : 0);
    }
  }
}

/** B is [N, K] (transB): row j + col of B is column col of the panel. */
function packBPanelT(b: usize, ldb: i32, btype: i32, esz: usize, pc: i32, j: i32, kc: i32, nr: i32, panel: usize): void {
  const rowBytes = <usize>ldb * esz;
  const r0 = b + (<usize>j * <usize>ldb + <usize>pc) * esz;
  let kk = 0;
  if (nr == NR) {
    // 4 k of 8 rows at a time: two 4x4 transposes.
    for (; kk + 4 <= kc; kk += 4) {
      const src = r0 + <usize>kk * esz;
      const d = panel + (<usize>(kk * NR) << 2);
      transpose4(src, rowBytes, btype, d);
      transpose4(src + 4 * rowBytes, rowBytes, btype, d + 16);
    }
  }
  for (; kk < kc; kk++) {
    const d = panel + (<usize>(kk * NR) << 2);
    for (let col = 0; col < NR; col++) {
      store<f32>(d + (<usize>col << 2), col < nr ? loadB(r0 + <usize>col * rowBytes + <usize>kk * esz, btype) : 0);
    }
  }
}

/** Reads 4 rows x 4 elements of B at src (row stride `stride` bytes) as f32 and writes them
 *  transposed as 4 rows of 4 floats at d, with a row stride of NR floats. */
// @ts-ignore: decorator
@inline function transpose4(src: usize, stride: usize, btype: i32, d: usize): void {
  const x0 = loadB4(src, btype);
  const x1 = loadB4(src + stride, btype);
  const x2 = loadB4(src + 2 * stride, btype);
  const x3 = loadB4(src + 3 * stride, btype);
  const t0 = f32x4.shuffle(x0, x1, 0, 4, 1, 5); // x0[0] x1[0] x0[1] x1[1]
  const t1 = f32x4.shuffle(x2, x3, 0, 4, 1, 5);
  const t2 = f32x4.shuffle(x0, x1, 2, 6, 3, 7);
  const t3 = f32x4.shuffle(x2, x3, 2, 6, 3, 7);
  v128.store(d, f32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(d, f32x4.shuffle(t0, t1, 2, 3, 6, 7), NR * 4);
  v128.store(d, f32x4.shuffle(t2, t3, 0, 1, 4, 5), NR * 8);
  v128.store(d, f32x4.shuffle(t2, t3, 2, 3, 6, 7), NR * 12);
}

/** 4 consecutive elements of B at p, as f32. */
// @ts-ignore: decorator
@inline function loadB4(p: usize, btype: i32): v128 {
  if (btype == B_F32) return v128.load(p);
  const h = i32x4.extend_low_i16x8_u(v128.load64_zero(p));
  return btype == B_F16 ? f16x4ToF32(h) : i32x4.shl(h, 16);
}

// ---- f16 / bf16 -> f32 -----------------------------------------------------------------------

/** 2^112: rescales an f16 exponent (bias 15) placed in an f32 (bias 127); exact for subnormals too. */
const F16_SCALE: f32 = reinterpret<f32>(0x77800000);

// @ts-ignore: decorator
@inline function loadB(p: usize, btype: i32): f32 {
  if (btype == B_F32) return load<f32>(p);
  const h = <u32>load<u16>(p);
  return btype == B_F16 ? f16ToF32(h) : reinterpret<f32>(h << 16);
}

/** Exact f16 -> f32: subnormals via the 2^112 rescale, inf/NaN (exponent 31) keep their payload. */
// @ts-ignore: decorator
@inline function f16ToF32(h: u32): f32 {
  const x = h & 0x7fff;
  const sh = x << 13;
  let bits = reinterpret<u32>(reinterpret<f32>(sh) * F16_SCALE);
  if (x >= 0x7c00) bits = sh | 0x7f800000;
  return reinterpret<f32>(bits | ((h & 0x8000) << 16));
}

/** f16ToF32 on 4 lanes holding f16 bits zero-extended to 32 bits. */
// @ts-ignore: decorator
@inline function f16x4ToF32(h: v128): v128 {
  const x = v128.and(h, i32x4.splat(0x7fff));
  const sign = i32x4.shl(v128.xor(h, x), 16);
  const sh = i32x4.shl(x, 13);
  const mag = f32x4.mul(sh, f32x4.splat(F16_SCALE));
  const special = i32x4.gt_s(x, i32x4.splat(0x7bff));
  const infNaN = v128.or(sh, i32x4.splat(0x7f800000));
  return v128.or(v128.bitselect(infNaN, mag, special), sign);
}

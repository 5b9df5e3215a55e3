// Q4_K, Q5_K and Q6_K in the 4-row "kx4" layout (kx4-layout.ts): repacking from / to GGUF block order and
// the GEMV (decode).
//
// GEMV: x is quantized once per call by quantize_act_k (records of 256 values); each call first
// copies the record bytes its build and type read into the thread's scratch (kx4-act.ts: int8 q
// for the relaxed build, int16 q for SIMD128; the relaxed Q5_K / Q6_K records hold q in runs of 8
// written twice, the operands of their row-pair layouts). Per group block the 4 rows' weights are
// unpacked to u8 lanes with 16-bit shifts and masks (Q4_K nibbles 0..15, Q5_K 0..31, Q6_K 0..63)
// and multiplied against x: relaxed `i16x8.relaxed_dot_i8x16_i7x16_s` (the weights are its 7-bit
// operand), SIMD128 widened `i16x8.mul`s. Q4_K folds the 4 rows' i16 vectors with interleaving
// shuffles into lanes grouped by row; Q5_K and Q6_K hold two rows per vector, so their dots come
// out split by row. One `i32x4.dot_i16x8_s` applies the rows' sub-block scales. All integer sums
// are exact, so both builds give the same integers; per super-block one f32 expression per row, in
// gemv_k's order: the results equal gemv_k's on the same blocks in GGUF order, bit for bit,
// whatever the thread count.
import { C_FIVE, C_NIB, C_SIX, compactAct, compactAct5, compactAct6, dupHi, dupLo, f16x4, writeConsts, X5_D, X5_PAIRS, X5REC, X6_D, X6_STEP, X6REC, X_AT, XQ_BYTES, XREC, XSTEP } from './kx4-act';
import { gatherBlock, ggufBlockBytes, groupAt, groupBytes, scatterBlock } from './kx4-layout';

// ---------------------------------------------------------------------------------------------
// Repacking. Units: rows, split at multiples of 4 (to_x4 writes whole groups).

/** GGUF-order rows [0, rows) of cols values at src -> kx4 at dst; units = padded rows (groups).
 *  Rows at or past `rows` in the last group are written as zero blocks. */
export function repack_k_to_x4(src: usize, dst: usize, rows: i32, cols: i32, kt: i32, start: i32, end: i32, scratch: usize): void {
  const nb = cols >> 8;
  const bb = ggufBlockBytes(kt);
  for (let r = start; r < end; r++) {
    for (let b = 0; b < nb; b++) {
      const g = groupAt(dst, r, b, nb, kt);
      if (r < rows) {
        scatterBlock(kt, src + (<usize>r * <usize>nb + <usize>b) * bb, g, r & 3);
      } else {
        // A zero GGUF block scattered: every field of this lane zero.
        memory.fill(scratch, 0, bb);
        scatterBlock(kt, scratch, g, r & 3);
      }
    }
  }
}

/** kx4 rows [start, end) at src -> GGUF block order at dst (row r at r * rowBytes); units = rows. */
export function repack_k_from_x4(src: usize, dst: usize, cols: i32, kt: i32, start: i32, end: i32, scratch: usize): void {
  const nb = cols >> 8;
  const bb = ggufBlockBytes(kt);
  for (let r = start; r < end; r++) {
    for (let b = 0; b < nb; b++) gatherBlock(kt, groupAt(src, r, b, nb, kt), r & 3, dst + (<usize>r * <usize>nb + <usize>b) * bb);
  }
}

/** Scratch bytes gemv_kx4 needs per thread for K inputs. */
export function gemv_kx4_scratch_bytes(K: i32): i32 {
  return <i32>(X_AT + <usize>(K >> 8) * max<usize>(XREC, max<usize>(X5REC, X6REC)));
}

// ---------------------------------------------------------------------------------------------
// Folding 4 rows' i16x8 partial sums.

/** Interleaves the i32 lanes of a and b: [a0 + a2, b0 + b2, a1 + a3, b1 + b3] as i16 pairs. */
@inline
function fold2(a: v128, b: v128): v128 {
  return i16x8.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
}

/** fold2 of rows (0, 1) and (2, 3) -> i16 lanes [r0, r0, r1, r1, r2, r2, r3, r3], each the sum of 4
 *  of its row's lanes. */
@inline
function fold4(ab: v128, cd: v128): v128 {
  return i16x8.add(v128.shuffle<i64>(ab, cd, 0, 2), v128.shuffle<i64>(ab, cd, 1, 3));
}

// ---------------------------------------------------------------------------------------------
// Q4_K

/** One row's sub-block of 32 nibbles (n0: elements 0..15, n1: 16..31, u8 lanes) against x at xp:
 *  i16x8 lanes, each a sum of 4 exact products (|lane| <= 4 * 15 * 127). */
@inline
function nib32(n0: v128, n1: v128, xp: usize): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xp), n0), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xp, 16), n1));
  }
  const a = i16x8.add(i16x8.mul(i16x8.extend_low_i8x16_u(n0), v128.load(xp)), i16x8.mul(i16x8.extend_high_i8x16_u(n0), v128.load(xp, 16)));
  const b = i16x8.add(i16x8.mul(i16x8.extend_low_i8x16_u(n1), v128.load(xp, 32)), i16x8.mul(i16x8.extend_high_i8x16_u(n1), v128.load(xp, 48)));
  return i16x8.add(a, b);
}

/** Low-nibble sub-block (2j) of the row's 32 bytes at q. */
@inline
function q4lo(q: usize, xp: usize, m: v128): v128 {
  return nib32(v128.and(v128.load(q), m), v128.and(v128.load(q, 16), m), xp);
}

/** High-nibble sub-block (2j + 1). */
@inline
function q4hi(q: usize, xp: usize, m: v128): v128 {
  return nib32(v128.and(i16x8.shr_u(v128.load(q), 4), m), v128.and(i16x8.shr_u(v128.load(q, 16), 4), m), xp);
}


/** One sub-block of the 4 rows (chunk at q, low or high nibbles, x at xp, its [sc r0..r3, min
 *  r0..r3] bytes at sm): i32x4 [r0..r3] of sc sum(q x). */
@inline
function q4sub(q: usize, hi: bool, xp: usize, sm: usize, c: usize): v128 {
  const m = v128.load(c, C_NIB);
  const p0 = hi ? q4hi(q, xp, m) : q4lo(q, xp, m);
  const p1 = hi ? q4hi(q + 32, xp, m) : q4lo(q + 32, xp, m);
  const p2 = hi ? q4hi(q + 64, xp, m) : q4lo(q + 64, xp, m);
  const p3 = hi ? q4hi(q + 96, xp, m) : q4lo(q + 96, xp, m);
  // Scales duplicated into the lanes fold4 groups by row.
  return i32x4.dot_i16x8_s(fold4(fold2(p0, p1), fold2(p2, p3)), dupLo(v128.load8x8_u(sm)));
}

/** The low (sub-blocks 0, 2, 4, 6) or high nibbles' sub-blocks of the 4 rows, pointers advanced
 *  by constants (V8 recomputes addresses derived from a counter at each step). */
@inline
function q4half(g: usize, hi: bool, xr: usize, c: usize): v128 {
  let isum = i32x4.splat(0);
  let q = g + 80;
  let xp = xr + (hi ? 32 * XSTEP : 0);
  let sm = g + 16 + (hi ? 8 : 0);
  for (let j = 0; j < 4; j++) {
    isum = i32x4.add(isum, q4sub(q, hi, xp, sm, c));
    q += 128;
    xp += 64 * XSTEP;
    sm += 16;
  }
  return isum;
}

/** The 4 rows' sums over one Q4_K group block at g against the compact record at xr (f32x4).
 *  One sub-block per loop step (4 rows): a body small enough for V8 to keep in registers (the
 *  8 sub-blocks unrolled spilled); sums are exact integers, so their order is free. */
@inline
function q4kGroup(g: usize, xr: usize, c: usize): v128 {
  let isum = i32x4.splat(0);
  isum = i32x4.add(isum, q4half(g, false, xr, c));
  isum = i32x4.add(isum, q4half(g, true, xr, c));
  const pairs = xr + XQ_BYTES;
  let msum = i32x4.splat(0);
  for (let s: usize = 0; s < 8; s++) msum = i32x4.add(msum, i32x4.dot_i16x8_s(dupHi(v128.load8x8_u(g + 16 + (s << 3))), v128.load32_splat(pairs + (s << 2))));
  const dx = v128.load32_splat(pairs + 64);
  // gemv_k's expression: dx * d * isum - dx * dmin * summ.
  const a = f32x4.mul(f32x4.mul(dx, f16x4(g, c)), f32x4.convert_i32x4_s(isum));
  const b = f32x4.mul(f32x4.mul(dx, f16x4(g + 8, c)), f32x4.convert_i32x4_s(msum));
  return f32x4.sub(a, b);
}

// ---------------------------------------------------------------------------------------------
// Q5_K (layout: kx4-layout.ts). Per row pair and sub-block pair one 80-byte step: V0..V4 give the
// eight operands W0..W7 in 24 operations (five masks, five xors isolating the top three bits, the
// three assembled with shifts, ors and a mask), each W holding 8 elements of both rows, so the
// dots against the record's doubled activations give i16 lanes split by row: a sub-block's four
// dots are [row 2p x 4, row 2p + 1 x 4], 8 products each (<= 8 * 31 * 127 = 31496), and one
// `i32x4.dot_i16x8_s` with the scales duplicated four times per row finishes it.

/** W5, W6, W7 from the top bits Tk = Vk ^ (Vk & 0x1f) (kx4-layout.ts). */
@inline
function q5w5(t0: v128, t1: v128, m: v128): v128 {
  return v128.and(v128.or(i16x8.shr_u(t0, 5), i16x8.shr_u(t1, 2)), m);
}

@inline
function q5w6(t1: v128, t2: v128, t3: v128, m: v128): v128 {
  return v128.and(v128.or(v128.or(i16x8.shr_u(t1, 7), i16x8.shr_u(t2, 4)), i16x8.shr_u(t3, 1)), m);
}

@inline
function q5w7(t3: v128, t4: v128, m: v128): v128 {
  return v128.and(v128.or(i16x8.shr_u(t3, 6), i16x8.shr_u(t4, 3)), m);
}

/** Relaxed build: one step of rows 2p, 2p + 1 (at wp; scales at sp) against the record at xp:
 *  i32x4 [r2p, r2p, r2p+1, r2p+1] (halves) of sc sum(q x) over sub-blocks 2j, 2j + 1. */
@inline
function q5step(wp: usize, sp: usize, xp: usize, m: v128): v128 {
  const v0 = v128.load(wp);
  const v1 = v128.load(wp, 16);
  const v2 = v128.load(wp, 32);
  const v3 = v128.load(wp, 48);
  const v4 = v128.load(wp, 64);
  const w0 = v128.and(v0, m);
  const w1 = v128.and(v1, m);
  const w2 = v128.and(v2, m);
  const w3 = v128.and(v3, m);
  const w4 = v128.and(v4, m);
  const ps = i16x8.add(
    i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xp), w0), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xp, 16), w1)),
    i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xp, 32), w2), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xp, 48), w3)),
  );
  const t1 = v128.xor(v1, w1);
  const t3 = v128.xor(v3, w3);
  const pt = i16x8.add(
    i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xp, 64), w4), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xp, 80), q5w5(v128.xor(v0, w0), t1, m))),
    i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xp, 96), q5w6(t1, v128.xor(v2, w2), t3, m)), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xp, 112), q5w7(t3, v128.xor(v4, w4), m))),
  );
  // [sc(s, r2p), sc(s, r2p+1), sc(s', r2p), sc(s', r2p+1)] duplicated: [a a b b c c d d], then
  // each half's row scale four times.
  const d = dupLo(v128.load8x8_u(sp));
  return i32x4.add(i32x4.dot_i16x8_s(ps, v128.shuffle<i32>(d, d, 0, 0, 1, 1)), i32x4.dot_i16x8_s(pt, v128.shuffle<i32>(d, d, 2, 2, 3, 3)));
}

/** SIMD128 build: rows 2p, 2p + 1 over the int16 record (XREC): the operands widened and
 *  multiplied, each row's sub-block folded to i16 pairs of 8 products (<= 31496) and dotted with
 *  the scales. i32x4 [r2p, r2p+1, r2p, r2p+1] (halves). */
@inline
function q5pairSimd(wp: usize, sp: usize, xr: usize, c: usize): v128 {
  let acc = i32x4.splat(0);
  let xp = xr;
  for (let j = 0; j < 4; j++) {
    const m = v128.load(c, C_FIVE);
    const v0 = v128.load(wp);
    const v1 = v128.load(wp, 16);
    const v2 = v128.load(wp, 32);
    const v3 = v128.load(wp, 48);
    const v4 = v128.load(wp, 64);
    const w0 = v128.and(v0, m);
    const w1 = v128.and(v1, m);
    const w2 = v128.and(v2, m);
    const w3 = v128.and(v3, m);
    const w4 = v128.and(v4, m);
    const t1 = v128.xor(v1, w1);
    const t3 = v128.xor(v3, w3);
    const w5 = q5w5(v128.xor(v0, w0), t1, m);
    const w6 = q5w6(t1, v128.xor(v2, w2), t3, m);
    const w7 = q5w7(t3, v128.xor(v4, w4), m);
    const x0 = v128.load(xp);
    const x1 = v128.load(xp, 16);
    const x2 = v128.load(xp, 32);
    const x3 = v128.load(xp, 48);
    const r0s = i16x8.add(i16x8.add(i16x8.mul(i16x8.extend_low_i8x16_u(w0), x0), i16x8.mul(i16x8.extend_low_i8x16_u(w1), x1)), i16x8.add(i16x8.mul(i16x8.extend_low_i8x16_u(w2), x2), i16x8.mul(i16x8.extend_low_i8x16_u(w3), x3)));
    const r1s = i16x8.add(i16x8.add(i16x8.mul(i16x8.extend_high_i8x16_u(w0), x0), i16x8.mul(i16x8.extend_high_i8x16_u(w1), x1)), i16x8.add(i16x8.mul(i16x8.extend_high_i8x16_u(w2), x2), i16x8.mul(i16x8.extend_high_i8x16_u(w3), x3)));
    const x4 = v128.load(xp, 64);
    const x5 = v128.load(xp, 80);
    const x6 = v128.load(xp, 96);
    const x7 = v128.load(xp, 112);
    const r0t = i16x8.add(i16x8.add(i16x8.mul(i16x8.extend_low_i8x16_u(w4), x4), i16x8.mul(i16x8.extend_low_i8x16_u(w5), x5)), i16x8.add(i16x8.mul(i16x8.extend_low_i8x16_u(w6), x6), i16x8.mul(i16x8.extend_low_i8x16_u(w7), x7)));
    const r1t = i16x8.add(i16x8.add(i16x8.mul(i16x8.extend_high_i8x16_u(w4), x4), i16x8.mul(i16x8.extend_high_i8x16_u(w5), x5)), i16x8.add(i16x8.mul(i16x8.extend_high_i8x16_u(w6), x6), i16x8.mul(i16x8.extend_high_i8x16_u(w7), x7)));
    const d = dupLo(v128.load8x8_u(sp));
    acc = i32x4.add(acc, i32x4.add(i32x4.dot_i16x8_s(fold2(r0s, r1s), v128.shuffle<i32>(d, d, 0, 1, 0, 1)), i32x4.dot_i16x8_s(fold2(r0t, r1t), v128.shuffle<i32>(d, d, 2, 3, 2, 3))));
    wp += 160;
    sp += 16;
    xp += 128;
  }
  return acc;
}

/** The 4 rows' sums over one Q5_K group block at g against the record at xr (f32x4). */
@inline
function q5kGroup(g: usize, xr: usize, c: usize): v128 {
  let isum: v128;
  if (ASC_FEATURE_RELAXED_SIMD) {
    // Both row pairs per loop step, as Q6_K.
    let a = i32x4.splat(0);
    let b = i32x4.splat(0);
    let wp = g + 80;
    let sp = g + 16;
    let xp = xr;
    for (let j = 0; j < 4; j++) {
      const m = v128.load(c, C_FIVE);
      a = i32x4.add(a, q5step(wp, sp, xp, m));
      b = i32x4.add(b, q5step(wp + 80, sp + 4, xp, m));
      wp += 160;
      sp += 16;
      xp += 128;
    }
    isum = i32x4.add(v128.shuffle<i32>(a, b, 0, 2, 4, 6), v128.shuffle<i32>(a, b, 1, 3, 5, 7));
  } else {
    const a = q5pairSimd(g + 80, g + 16, xr, c);
    const b = q5pairSimd(g + 80 + 80, g + 20, xr, c);
    isum = i32x4.add(v128.shuffle<i32>(a, b, 0, 1, 4, 5), v128.shuffle<i32>(a, b, 2, 3, 6, 7));
  }
  // Mins of sub-blocks 2j, 2j + 1: bytes 8..11 and 12..15 of pair block j, lanes 4..7 of the loads.
  const pairs = xr + (ASC_FEATURE_RELAXED_SIMD ? X5_PAIRS : XQ_BYTES);
  let msum = i32x4.splat(0);
  for (let j: usize = 0; j < 4; j++) {
    msum = i32x4.add(msum, i32x4.dot_i16x8_s(dupHi(v128.load8x8_u(g + 20 + (j << 4))), v128.load32_splat(pairs + (j << 3))));
    msum = i32x4.add(msum, i32x4.dot_i16x8_s(dupHi(v128.load8x8_u(g + 24 + (j << 4))), v128.load32_splat(pairs + (j << 3) + 4)));
  }
  const dx = v128.load32_splat(xr + (ASC_FEATURE_RELAXED_SIMD ? X5_D : XQ_BYTES + 64));
  const av = f32x4.mul(f32x4.mul(dx, f16x4(g, c)), f32x4.convert_i32x4_s(isum));
  const bv = f32x4.mul(f32x4.mul(dx, f16x4(g + 8, c)), f32x4.convert_i32x4_s(msum));
  return f32x4.sub(av, bv);
}

// ---------------------------------------------------------------------------------------------
// Q6_K (layout: kx4-layout.ts). Per row pair and sub-block pair one 48-byte step: V0..V2 give the
// four operands W0..W3 in 11 operations (three masks, three mask-complements shifted, two ors),
// each W holds 8 elements of both rows, so the dot against the record's doubled 8 activations
// gives i16 lanes already split by row: W0 . x0 + W1 . x1 is [row 2p x 4, row 2p + 1 x 4] of
// sub-block s, W2 . x2 + W3 . x3 the same of s'; one regrouping of i32 lanes (two shuffles, an add)
// gives [r s, r s, r' s, r' s, r s', r s', r' s', r' s'] (i16 pairs, the pairs' lanes covering
// elements {0, 1, 4, 5, 8, 9, 12, 13} and the rest), the record's -32 sum(q) over the same
// elements is added, and one `i32x4.dot_i16x8_s` with the duplicated scales finishes the step.
// i16 sums wrap freely until the correction: each lane's final value, a sum of 8 products
// (u - 32) x, is at most 8 * 32 * 127 = 32512 in magnitude, so the modular sums are exact (the dots
// themselves never saturate: 2 * 63 * 127 = 16002).

/** Relaxed build: one 48-byte step of rows 2p, 2p + 1 (at wp, their scales at sp) against the
 *  record's step at xp: i32x4 [r2p s, r2p+1 s, r2p s', r2p+1 s'] of sc (sum(u x) - 32 bsum). */
@inline
function q6step(wp: usize, sp: usize, xp: usize, m: v128): v128 {
  const v0 = v128.load(wp);
  const v1 = v128.load(wp, 16);
  const v2 = v128.load(wp, 32);
  const w0 = v128.and(v0, m);
  const w1 = v128.and(v1, m);
  const w2 = v128.and(v2, m);
  const a = i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xp), w0), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xp, 16), w1));
  const b = i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xp, 32), w2), i16x8.relaxed_dot_i8x16_i7x16_s(v128.load(xp, 48), q6w3(v0, v1, v2, w0, w1, w2)));
  const f = i16x8.add(i16x8.add(v128.shuffle<i32>(a, b, 0, 2, 4, 6), v128.shuffle<i32>(a, b, 1, 3, 5, 7)), v128.load(xp, 64));
  return i32x4.dot_i16x8_s(f, dupLo(v128.load8x8_s(sp)));
}

/** Relaxed build: both row pairs over the super-block's record at xr, one sub-block pair per loop
 *  step (the loop's overhead shared by 96 bytes; the record's step is loaded once per row pair:
 *  kept in registers across both it was no faster). Returns isum of rows 0..3. */
@inline
function q6rowsRelaxed(g: usize, xr: usize, c: usize): v128 {
  let a = i32x4.splat(0);
  let b = i32x4.splat(0);
  let wp = g + 72;
  let sp = g + 8;
  let xp = xr;
  for (let t = 0; t < 8; t++) {
    const m = v128.load(c, C_SIX);
    a = i32x4.add(a, q6step(wp, sp, xp, m));
    b = i32x4.add(b, q6step(wp + 48, sp + 4, xp, m));
    wp += 96;
    sp += 8;
    xp += X6_STEP;
  }
  // a: [r0 even sub-blocks, r1 even, r0 odd, r1 odd], b the same of rows 2, 3.
  return i32x4.add(v128.shuffle<i32>(a, b, 0, 1, 4, 5), v128.shuffle<i32>(a, b, 2, 3, 6, 7));
}

/** The fourth operand W3 from V0..V2 and their low six bits w0..w2 (v ^ w: the top two bits;
 *  V8 turns v128.andnot into a copy and an andnps). */
@inline
function q6w3(v0: v128, v1: v128, v2: v128, w0: v128, w1: v128, w2: v128): v128 {
  return v128.or(v128.or(i16x8.shr_u(v128.xor(v0, w0), 6), i16x8.shr_u(v128.xor(v1, w1), 4)), i16x8.shr_u(v128.xor(v2, w2), 2));
}

/** SIMD128 build, same sums from the int16 record (XREC: q as i16, pairs (-16 bsum, -16 bsum)):
 *  the operands widened and multiplied, each row's lanes folded to i16 pairs of 4 products
 *  (<= 32004) and dotted with the scales, the pairs' dot subtracting 32 sc bsum. */
@inline
function q6pairSimd(wp: usize, sp: usize, xr: usize, c: usize): v128 {
  let acc = i32x4.splat(0);
  let xp = xr;
  let pp = xr + XQ_BYTES;
  for (let t = 0; t < 8; t++) {
    const m = v128.load(c, C_SIX);
    const v0 = v128.load(wp);
    const v1 = v128.load(wp, 16);
    const v2 = v128.load(wp, 32);
    const w0 = v128.and(v0, m);
    const w1 = v128.and(v1, m);
    const w2 = v128.and(v2, m);
    const w3 = q6w3(v0, v1, v2, w0, w1, w2);
    const r0s = i16x8.add(i16x8.mul(i16x8.extend_low_i8x16_u(w0), v128.load(xp)), i16x8.mul(i16x8.extend_low_i8x16_u(w1), v128.load(xp, 16)));
    const r1s = i16x8.add(i16x8.mul(i16x8.extend_high_i8x16_u(w0), v128.load(xp)), i16x8.mul(i16x8.extend_high_i8x16_u(w1), v128.load(xp, 16)));
    const r0t = i16x8.add(i16x8.mul(i16x8.extend_low_i8x16_u(w2), v128.load(xp, 32)), i16x8.mul(i16x8.extend_low_i8x16_u(w3), v128.load(xp, 48)));
    const r1t = i16x8.add(i16x8.mul(i16x8.extend_high_i8x16_u(w2), v128.load(xp, 32)), i16x8.mul(i16x8.extend_high_i8x16_u(w3), v128.load(xp, 48)));
    const fs = fold2(r0s, r1s);
    const ft = fold2(r0t, r1t);
    const d = dupLo(v128.load8x8_s(sp));
    const pr = v128.load64_zero(pp);
    const u = i32x4.dot_i16x8_s(v128.shuffle<i32>(fs, ft, 0, 1, 4, 5), d);
    const w = i32x4.dot_i16x8_s(v128.shuffle<i32>(fs, ft, 2, 3, 6, 7), d);
    acc = i32x4.add(acc, i32x4.add(i32x4.add(u, w), i32x4.dot_i16x8_s(d, v128.shuffle<i32>(pr, pr, 0, 0, 1, 1))));
    wp += 96;
    sp += 8;
    xp += 64;
    pp += 8;
  }
  return acc;
}

/** The 4 rows' sums over one Q6_K group block at g (f32x4). */
@inline
function q6kGroup(g: usize, xr: usize, c: usize): v128 {
  let isum: v128;
  if (ASC_FEATURE_RELAXED_SIMD) {
    isum = q6rowsRelaxed(g, xr, c);
  } else {
    const a = q6pairSimd(g + 72, g + 8, xr, c);
    const b = q6pairSimd(g + 72 + 48, g + 12, xr, c);
    isum = i32x4.add(v128.shuffle<i32>(a, b, 0, 1, 4, 5), v128.shuffle<i32>(a, b, 2, 3, 6, 7));
  }
  // gemv_k's expression: dx * d * (sum(sc u qx) - 32 sum(sc bsum)).
  const dx = v128.load32_splat(xr + (ASC_FEATURE_RELAXED_SIMD ? X6_D : XQ_BYTES + 64));
  return f32x4.mul(f32x4.mul(dx, f16x4(g, c)), f32x4.convert_i32x4_s(isum));
}

// ---------------------------------------------------------------------------------------------

@inline
function storeRows(y: usize, row0: i32, N: i32, acc: v128, add: bool): void {
  const o = y + (<usize>row0 << 2);
  if (row0 + 4 <= N) {
    v128.store(o, add ? f32x4.add(v128.load(o), acc) : acc);
  } else {
    if (row0 < N) store<f32>(o, add ? load<f32>(o) + f32x4.extract_lane(acc, 0) : f32x4.extract_lane(acc, 0));
    if (row0 + 1 < N) store<f32>(o, add ? load<f32>(o, 4) + f32x4.extract_lane(acc, 1) : f32x4.extract_lane(acc, 1), 4);
    if (row0 + 2 < N) store<f32>(o, add ? load<f32>(o, 8) + f32x4.extract_lane(acc, 2) : f32x4.extract_lane(acc, 2), 8);
  }
}

@inline
function gemvX4(w: usize, act: usize, y: usize, N: i32, K: i32, kt: i32, start: i32, end: i32, scratch: usize, add: bool): void {
  const nb = K >> 8;
  writeConsts(scratch);
  const xs = scratch + X_AT;
  if (ASC_FEATURE_RELAXED_SIMD && kt == 7) compactAct6(act, nb, xs);
  else if (ASC_FEATURE_RELAXED_SIMD && kt == 6) compactAct5(act, nb, xs);
  else compactAct(act, nb, kt, xs);
  const xrec = !ASC_FEATURE_RELAXED_SIMD || kt == 5 ? XREC : kt == 6 ? X5REC : X6REC;
  const gb = groupBytes(kt);
  for (let g = start >> 2; g < (end + 3) >> 2; g++) {
    let wp = w + <usize>g * <usize>nb * gb;
    let xr = xs;
    let acc = f32x4.splat(0);
    if (kt == 5) {
      for (let b = 0; b < nb; b++) {
        acc = f32x4.add(acc, q4kGroup(wp, xr, scratch));
        wp += 592;
        xr += XREC;
      }
    } else if (kt == 6) {
      for (let b = 0; b < nb; b++) {
        acc = f32x4.add(acc, q5kGroup(wp, xr, scratch));
        wp += 720;
        xr += ASC_FEATURE_RELAXED_SIMD ? X5REC : XREC;
      }
    } else {
      for (let b = 0; b < nb; b++) {
        acc = f32x4.add(acc, q6kGroup(wp, xr, scratch));
        wp += 840;
        xr += xrec;
      }
    }
    storeRows(y, g << 2, N, acc, add);
  }
}

/** y[N] = W[N, K] x for W of kx4 type kt (5 Q4_K, 6 Q5_K, 7 Q6_K); act: quantize_act_k records (B = 256).
 *  Units = rows, split at multiples of 4. Equal to gemv_k on the same blocks in GGUF order. */
export function gemv_kx4(w: usize, act: usize, y: usize, N: i32, K: i32, kt: i32, start: i32, end: i32, scratch: usize): void {
  gemvX4(w, act, y, N, K, kt, start, end, scratch, false);
}

/** y += W x (the residual stream: the product's bits, then one f32 add as add_f32 does it). */
export function gemv_kx4_add(w: usize, act: usize, y: usize, N: i32, K: i32, kt: i32, start: i32, end: i32, scratch: usize): void {
  gemvX4(w, act, y, N, K, kt, start, end, scratch, true);
}

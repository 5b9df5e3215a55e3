// Quantized GEMM for prompt processing and batched decode: Y[M, N] = X[M, K] W^T, W Q8_0 or Q4_0
// in the x4 layout (quant.ts), X f32 quantized once per call to int8 per 32-block (qgemm_quantize:
// the same q and scale as gemv.ts's quantize_act, in a compact layout of its own).
//
// Register tile: 4 weight rows (one x4 group) in the lanes x up to 6 tokens, one accumulator per
// token. The weights of a group are packed once per K panel into the thread's scratch with the 4
// rows side by side per k (4 bytes per row per vector), so every weight vector is reused by all
// tokens and every token's activation chunk is one 4-byte broadcast: no horizontal sums.
//   - wide path (Q8_0 in both builds, Q4_0 in the SIMD128 build): i16 weight pairs (Q4_0 as
//     nibble - 8) against i16 activation pairs with i32x4.dot_i16x8_s.
//   - narrow path (Q4_0, relaxed build): nibbles (0..15, the i7 operand) against int8 activations
//     with i16x8.relaxed_dot_i8x16_i7x16_s, summed in i16 over the block (8 steps of at most
//     2 * 15 * 128 each: no overflow), then the record's 8 * sum(q) is subtracted.
// Per block every path gives the exact integer dot product, then acc += f32(isum) * (dw * dx) in
// block order: the arithmetic of gemv_q8_0 / gemv_q4_0. Row m of Y is therefore bit-identical to
// matvec(W, x[m]), and the SIMD128 and relaxed builds give the same bits.
//
// Parallel units: unit u = s * NG + g is row group g (4 rows) for the tokens of split s
// (NG = ceil(N / 4) groups; `ts` splits of ceil(M / ts) tokens). Each output is computed by one unit
// with a fixed order, so any chunking gives the same bits.
//
// Batched decode (a few tokens) reads the weights in place instead: the last two sections.
import { roundAway } from './simd';

// Activation records, in tiles of NT_MAX tokens: tile i holds tokens 6i..6i+5, block after block
// (6 records per block, the last tile padded), so a micro-kernel streams through memory:
// record (b, t) at act + ((t / 6) * nb * 6 + b * 6 + t % 6) * R.
const R16: usize = 68; // wide: i16 q[32] in natural order (64 bytes), f32 d at 64
const R8: usize = 40; // narrow: int8 q[32] (32 bytes), f32 d at 32, i32 8 * sum(q) at 36

// Packed weight panel, per block of a group: wide 16 vectors (k pairs 0..15: [r0 r1 r2 r3] x
// (q_2j, q_2j+1) as i16) + f32x4 scales; narrow 8 vectors (k chunks 0..7: [r0 r1 r2 r3] x 4
// nibbles as bytes) + f32x4 scales.
const PB16: usize = 16 * 16 + 16;
const PB8: usize = 8 * 16 + 16;

// Thread scratch: constants, then the tile of a last, partial row group (tokens x 16 bytes), then
// the panel.
const C_F16MASK: u32 = 0;
const C_F16MUL: u32 = 16;
const C_F16EXP: u32 = 32;
const C_INF: u32 = 48;
const C_ONES: u32 = 64; // i16 1s
const C_NIB: u32 = 80; // 0x0f bytes
const C_EIGHT: u32 = 96; // 8 bytes (Q4_0 nibble offset)
const SCRATCH_HEAD: usize = 256;

/** Tokens per register tile (and per activation tile). */
const NT_MAX: i32 = 6;

/** Scratch bytes a qgemm call needs per thread: see qgemmScratchBytes in src/tensor/ops/gemv.ts. */
export function qgemm_scratch_bytes(tokensPerSplit: i32, kb: i32, q4: i32): i32 {
  const pb = q4 != 0 && ASC_FEATURE_RELAXED_SIMD ? PB8 : PB16;
  return <i32>(SCRATCH_HEAD + (<usize>tokensPerSplit << 4) + <usize>kb * pb);
}

/** Bytes per activation record for a weight type (q4 != 0: Q4_0) in this build. */
export function qgemm_record_bytes(q4: i32): i32 {
  return q4 != 0 && ASC_FEATURE_RELAXED_SIMD ? <i32>R8 : <i32>R16;
}

function writeConsts(c: usize): void {
  v128.store(c, i32x4.splat(<i32>0x8fffe000), C_F16MASK);
  v128.store(c, i32x4.splat(0x77800000), C_F16MUL);
  v128.store(c, i32x4.splat(0x0f800000), C_F16EXP);
  v128.store(c, i32x4.splat(0x7f800000), C_INF);
  v128.store(c, i16x8.splat(1), C_ONES);
  v128.store(c, i8x16.splat(0x0f), C_NIB);
  v128.store(c, i8x16.splat(8), C_EIGHT);
}

// ---------------------------------------------------------------------------------------------
// Activations

/** Quantizes tokens [start, end) of x [M, K] f32 into block-major records at act (wide != 0: R16
 *  records, else R8). The arithmetic of quantize_act: d = amax / 127, q = roundf(x / d). */
export function qgemm_quantize(x: usize, act: usize, M: i32, K: i32, wide: i32, start: i32, end: i32, scratch: usize): void {
  const nb = K >> 5;
  const R: usize = wide != 0 ? R16 : R8;
  const bstride = <usize>NT_MAX * R;
  for (let t = start; t < end; t++) {
    let xp = x + ((<usize>t * <usize>K) << 2);
    let ap = act + (<usize>(t / NT_MAX) * <usize>nb * <usize>NT_MAX + <usize>(t % NT_MAX)) * R;
    for (let b = 0; b < nb; b++) {
      let m = f32x4.max(f32x4.abs(v128.load(xp)), f32x4.abs(v128.load(xp, 16)));
      m = f32x4.max(m, f32x4.max(f32x4.abs(v128.load(xp, 32)), f32x4.abs(v128.load(xp, 48))));
      m = f32x4.max(m, f32x4.max(f32x4.abs(v128.load(xp, 64)), f32x4.abs(v128.load(xp, 80))));
      m = f32x4.max(m, f32x4.max(f32x4.abs(v128.load(xp, 96)), f32x4.abs(v128.load(xp, 112))));
      const amax = Mathf.max(
        Mathf.max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)),
        Mathf.max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)),
      );
      const d: f32 = amax / 127;
      const idv = f32x4.splat(d != 0 ? <f32>1 / d : 0);
      const q0 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(xp), idv)));
      const q1 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(xp, 16), idv)));
      const q2 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(xp, 32), idv)));
      const q3 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(xp, 48), idv)));
      const q4 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(xp, 64), idv)));
      const q5 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(xp, 80), idv)));
      const q6 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(xp, 96), idv)));
      const q7 = i32x4.trunc_sat_f32x4_s(roundAway(f32x4.mul(v128.load(xp, 112), idv)));
      const h0 = i16x8.narrow_i32x4_s(q0, q1);
      const h1 = i16x8.narrow_i32x4_s(q2, q3);
      const h2 = i16x8.narrow_i32x4_s(q4, q5);
      const h3 = i16x8.narrow_i32x4_s(q6, q7);
      if (wide != 0) {
        v128.store(ap, h0);
        v128.store(ap, h1, 16);
        v128.store(ap, h2, 32);
        v128.store(ap, h3, 48);
        store<f32>(ap, d, 64);
      } else {
        v128.store(ap, i8x16.narrow_i16x8_s(h0, h1));
        v128.store(ap, i8x16.narrow_i16x8_s(h2, h3), 16);
        const s4 = i32x4.extadd_pairwise_i16x8_s(i16x8.add(i16x8.add(h0, h1), i16x8.add(h2, h3)));
        const s = i32x4.extract_lane(s4, 0) + i32x4.extract_lane(s4, 1) + i32x4.extract_lane(s4, 2) + i32x4.extract_lane(s4, 3);
        store<f32>(ap, d, 32);
        store<i32>(ap, s << 3, 36);
      }
      xp += 128;
      ap += bstride;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Packing one row group's blocks into the panel

/** Stores the 4x4 transpose of i32 lanes: dst + 16 l = [a.l, b.l, c.l, d.l]. */
@inline
function tr4(a: v128, b: v128, c: v128, d: v128, dst: usize): void {
  const ab0 = v128.shuffle<i32>(a, b, 0, 4, 1, 5);
  const cd0 = v128.shuffle<i32>(c, d, 0, 4, 1, 5);
  const ab1 = v128.shuffle<i32>(a, b, 2, 6, 3, 7);
  const cd1 = v128.shuffle<i32>(c, d, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<i32>(ab0, cd0, 0, 1, 4, 5));
  v128.store(dst, v128.shuffle<i32>(ab0, cd0, 2, 3, 6, 7), 16);
  v128.store(dst, v128.shuffle<i32>(ab1, cd1, 0, 1, 4, 5), 32);
  v128.store(dst, v128.shuffle<i32>(ab1, cd1, 2, 3, 6, 7), 48);
}

/** The 4 fp16 scales at p as f32x4 (gemv.ts's conversion: the same bits, NaN payloads included). */
@inline
function scales4(p: usize, c: usize): v128 {
  const t = i32x4.shl(v128.load16x4_s(p), 13);
  const f = f32x4.mul(v128.and(t, v128.load(c, C_F16MASK)), v128.load(c, C_F16MUL));
  const e = v128.load(c, C_F16EXP);
  return v128.or(f, v128.and(i32x4.eq(v128.and(t, e), e), v128.load(c, C_INF)));
}

/** Q8_0 group blocks (136 bytes each) -> wide panel. */
function packQ8(wg: usize, nkb: i32, dst: usize, c: usize): void {
  for (let b = 0; b < nkb; b++) {
    for (let h: usize = 0; h < 2; h++) {
      const o = wg + 8 + (h << 4);
      const r0 = v128.load(o), r1 = v128.load(o, 32), r2 = v128.load(o, 64), r3 = v128.load(o, 96);
      const d = dst + (h << 7);
      tr4(i16x8.extend_low_i8x16_s(r0), i16x8.extend_low_i8x16_s(r1), i16x8.extend_low_i8x16_s(r2), i16x8.extend_low_i8x16_s(r3), d);
      tr4(i16x8.extend_high_i8x16_s(r0), i16x8.extend_high_i8x16_s(r1), i16x8.extend_high_i8x16_s(r2), i16x8.extend_high_i8x16_s(r3), d + 64);
    }
    v128.store(dst, scales4(wg, c), 256);
    wg += 136;
    dst += PB16;
  }
}

/** Q4_0 group blocks (72 bytes each) -> wide panel of nibble - 8. */
function packQ4wide(wg: usize, nkb: i32, dst: usize, c: usize): void {
  for (let b = 0; b < nkb; b++) {
    const m = v128.load(c, C_NIB);
    const eight = v128.load(c, C_EIGHT);
    const v0 = v128.load(wg, 8), v1 = v128.load(wg, 24), v2 = v128.load(wg, 40), v3 = v128.load(wg, 56);
    // low nibbles: elements 0..15; high nibbles: 16..31
    const l0 = i8x16.sub(v128.and(v0, m), eight), l1 = i8x16.sub(v128.and(v1, m), eight);
    const l2 = i8x16.sub(v128.and(v2, m), eight), l3 = i8x16.sub(v128.and(v3, m), eight);
    tr4(i16x8.extend_low_i8x16_s(l0), i16x8.extend_low_i8x16_s(l1), i16x8.extend_low_i8x16_s(l2), i16x8.extend_low_i8x16_s(l3), dst);
    tr4(i16x8.extend_high_i8x16_s(l0), i16x8.extend_high_i8x16_s(l1), i16x8.extend_high_i8x16_s(l2), i16x8.extend_high_i8x16_s(l3), dst + 64);
    const h0 = i8x16.sub(i8x16.shr_u(v0, 4), eight), h1 = i8x16.sub(i8x16.shr_u(v1, 4), eight);
    const h2 = i8x16.sub(i8x16.shr_u(v2, 4), eight), h3 = i8x16.sub(i8x16.shr_u(v3, 4), eight);
    tr4(i16x8.extend_low_i8x16_s(h0), i16x8.extend_low_i8x16_s(h1), i16x8.extend_low_i8x16_s(h2), i16x8.extend_low_i8x16_s(h3), dst + 128);
    tr4(i16x8.extend_high_i8x16_s(h0), i16x8.extend_high_i8x16_s(h1), i16x8.extend_high_i8x16_s(h2), i16x8.extend_high_i8x16_s(h3), dst + 192);
    v128.store(dst, scales4(wg, c), 256);
    wg += 72;
    dst += PB16;
  }
}

/** Q4_0 group blocks -> narrow panel of nibbles (relaxed build). */
function packQ4narrow(wg: usize, nkb: i32, dst: usize, c: usize): void {
  for (let b = 0; b < nkb; b++) {
    const m = v128.load(c, C_NIB);
    const v0 = v128.load(wg, 8), v1 = v128.load(wg, 24), v2 = v128.load(wg, 40), v3 = v128.load(wg, 56);
    tr4(v128.and(v0, m), v128.and(v1, m), v128.and(v2, m), v128.and(v3, m), dst);
    tr4(i8x16.shr_u(v0, 4), i8x16.shr_u(v1, 4), i8x16.shr_u(v2, 4), i8x16.shr_u(v3, 4), dst + 64);
    v128.store(dst, scales4(wg, c), 128);
    wg += 72;
    dst += PB8;
  }
}

// ---------------------------------------------------------------------------------------------
// Micro-kernels: NT tokens (1..6, a constant after inlining) x 4 rows over nkb blocks of a panel.
// pa: record of the first token in the panel's first block; ms: bytes from one block's records to
// the next; yp, ys: the first token's 4 outputs and the stride between tokens. first: start the
// sums from 0, else continue the sums stored at yp by the previous panel (exact f32 values).

@inline
function mkWide(pw: usize, pa: usize, ms: usize, yp: usize, ys: usize, nkb: i32, first: bool, NT: i32): void {
  let f0 = f32x4.splat(0), f1 = f32x4.splat(0), f2 = f32x4.splat(0), f3 = f32x4.splat(0), f4 = f32x4.splat(0), f5 = f32x4.splat(0);
  if (!first) {
    f0 = v128.load(yp);
    if (NT > 1) f1 = v128.load(yp + ys);
    if (NT > 2) f2 = v128.load(yp + 2 * ys);
    if (NT > 3) f3 = v128.load(yp + 3 * ys);
    if (NT > 4) f4 = v128.load(yp + 4 * ys);
    if (NT > 5) f5 = v128.load(yp + 5 * ys);
  }
  for (let b = 0; b < nkb; b++) {
    let i0 = i32x4.splat(0), i1 = i32x4.splat(0), i2 = i32x4.splat(0), i3 = i32x4.splat(0), i4 = i32x4.splat(0), i5 = i32x4.splat(0);
    let p = pa;
    for (let j = 0; j < 16; j++) {
      const wv = v128.load(pw);
      i0 = i32x4.add(i0, i32x4.dot_i16x8_s(wv, v128.load32_splat(p)));
      if (NT > 1) i1 = i32x4.add(i1, i32x4.dot_i16x8_s(wv, v128.load32_splat(p, 68)));
      if (NT > 2) i2 = i32x4.add(i2, i32x4.dot_i16x8_s(wv, v128.load32_splat(p, 136)));
      if (NT > 3) i3 = i32x4.add(i3, i32x4.dot_i16x8_s(wv, v128.load32_splat(p, 204)));
      if (NT > 4) i4 = i32x4.add(i4, i32x4.dot_i16x8_s(wv, v128.load32_splat(p, 272)));
      if (NT > 5) i5 = i32x4.add(i5, i32x4.dot_i16x8_s(wv, v128.load32_splat(p, 340)));
      pw += 16;
      p += 4;
    }
    const dw = v128.load(pw);
    pw += 16;
    f0 = f32x4.add(f0, f32x4.mul(f32x4.convert_i32x4_s(i0), f32x4.mul(dw, v128.load32_splat(pa, 64))));
    if (NT > 1) f1 = f32x4.add(f1, f32x4.mul(f32x4.convert_i32x4_s(i1), f32x4.mul(dw, v128.load32_splat(pa, 68 + 64))));
    if (NT > 2) f2 = f32x4.add(f2, f32x4.mul(f32x4.convert_i32x4_s(i2), f32x4.mul(dw, v128.load32_splat(pa, 136 + 64))));
    if (NT > 3) f3 = f32x4.add(f3, f32x4.mul(f32x4.convert_i32x4_s(i3), f32x4.mul(dw, v128.load32_splat(pa, 204 + 64))));
    if (NT > 4) f4 = f32x4.add(f4, f32x4.mul(f32x4.convert_i32x4_s(i4), f32x4.mul(dw, v128.load32_splat(pa, 272 + 64))));
    if (NT > 5) f5 = f32x4.add(f5, f32x4.mul(f32x4.convert_i32x4_s(i5), f32x4.mul(dw, v128.load32_splat(pa, 340 + 64))));
    pa += ms;
  }
  v128.store(yp, f0);
  if (NT > 1) v128.store(yp + ys, f1);
  if (NT > 2) v128.store(yp + 2 * ys, f2);
  if (NT > 3) v128.store(yp + 3 * ys, f3);
  if (NT > 4) v128.store(yp + 4 * ys, f4);
  if (NT > 5) v128.store(yp + 5 * ys, f5);
}

@inline
function mkNarrow(pw: usize, pa: usize, ms: usize, yp: usize, ys: usize, nkb: i32, first: bool, c: usize, NT: i32): void {
  if (!ASC_FEATURE_RELAXED_SIMD) return;
  let f0 = f32x4.splat(0), f1 = f32x4.splat(0), f2 = f32x4.splat(0), f3 = f32x4.splat(0), f4 = f32x4.splat(0), f5 = f32x4.splat(0);
  if (!first) {
    f0 = v128.load(yp);
    if (NT > 1) f1 = v128.load(yp + ys);
    if (NT > 2) f2 = v128.load(yp + 2 * ys);
    if (NT > 3) f3 = v128.load(yp + 3 * ys);
    if (NT > 4) f4 = v128.load(yp + 4 * ys);
    if (NT > 5) f5 = v128.load(yp + 5 * ys);
  }
  for (let b = 0; b < nkb; b++) {
    let h0 = i16x8.splat(0), h1 = i16x8.splat(0), h2 = i16x8.splat(0), h3 = i16x8.splat(0), h4 = i16x8.splat(0), h5 = i16x8.splat(0);
    let p = pa;
    for (let j = 0; j < 8; j++) {
      const wv = v128.load(pw);
      h0 = i16x8.add(h0, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(p), wv));
      if (NT > 1) h1 = i16x8.add(h1, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(p, 40), wv));
      if (NT > 2) h2 = i16x8.add(h2, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(p, 80), wv));
      if (NT > 3) h3 = i16x8.add(h3, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(p, 120), wv));
      if (NT > 4) h4 = i16x8.add(h4, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(p, 160), wv));
      if (NT > 5) h5 = i16x8.add(h5, i16x8.relaxed_dot_i8x16_i7x16_s(v128.load32_splat(p, 200), wv));
      pw += 16;
      p += 4;
    }
    const dw = v128.load(pw);
    pw += 16;
    const ones = v128.load(c, C_ONES);
    f0 = f32x4.add(f0, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.dot_i16x8_s(h0, ones), v128.load32_splat(pa, 36))), f32x4.mul(dw, v128.load32_splat(pa, 32))));
    if (NT > 1) f1 = f32x4.add(f1, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.dot_i16x8_s(h1, ones), v128.load32_splat(pa, 40 + 36))), f32x4.mul(dw, v128.load32_splat(pa, 40 + 32))));
    if (NT > 2) f2 = f32x4.add(f2, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.dot_i16x8_s(h2, ones), v128.load32_splat(pa, 80 + 36))), f32x4.mul(dw, v128.load32_splat(pa, 80 + 32))));
    if (NT > 3) f3 = f32x4.add(f3, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.dot_i16x8_s(h3, ones), v128.load32_splat(pa, 120 + 36))), f32x4.mul(dw, v128.load32_splat(pa, 120 + 32))));
    if (NT > 4) f4 = f32x4.add(f4, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.dot_i16x8_s(h4, ones), v128.load32_splat(pa, 160 + 36))), f32x4.mul(dw, v128.load32_splat(pa, 160 + 32))));
    if (NT > 5) f5 = f32x4.add(f5, f32x4.mul(f32x4.convert_i32x4_s(i32x4.sub(i32x4.dot_i16x8_s(h5, ones), v128.load32_splat(pa, 200 + 36))), f32x4.mul(dw, v128.load32_splat(pa, 200 + 32))));
    pa += ms;
  }
  v128.store(yp, f0);
  if (NT > 1) v128.store(yp + ys, f1);
  if (NT > 2) v128.store(yp + 2 * ys, f2);
  if (NT > 3) v128.store(yp + 3 * ys, f3);
  if (NT > 4) v128.store(yp + 4 * ys, f4);
  if (NT > 5) v128.store(yp + 5 * ys, f5);
}

function tileWide(pw: usize, pa: usize, ms: usize, yp: usize, ys: usize, nkb: i32, first: bool, nt: i32): void {
  switch (nt) {
    case 6: mkWide(pw, pa, ms, yp, ys, nkb, first, 6); break;
    case 5: mkWide(pw, pa, ms, yp, ys, nkb, first, 5); break;
    case 4: mkWide(pw, pa, ms, yp, ys, nkb, first, 4); break;
    case 3: mkWide(pw, pa, ms, yp, ys, nkb, first, 3); break;
    case 2: mkWide(pw, pa, ms, yp, ys, nkb, first, 2); break;
    default: mkWide(pw, pa, ms, yp, ys, nkb, first, 1);
  }
}

function tileNarrow(pw: usize, pa: usize, ms: usize, yp: usize, ys: usize, nkb: i32, first: bool, c: usize, nt: i32): void {
  switch (nt) {
    case 6: mkNarrow(pw, pa, ms, yp, ys, nkb, first, c, 6); break;
    case 5: mkNarrow(pw, pa, ms, yp, ys, nkb, first, c, 5); break;
    case 4: mkNarrow(pw, pa, ms, yp, ys, nkb, first, c, 4); break;
    case 3: mkNarrow(pw, pa, ms, yp, ys, nkb, first, c, 3); break;
    case 2: mkNarrow(pw, pa, ms, yp, ys, nkb, first, c, 2); break;
    default: mkNarrow(pw, pa, ms, yp, ys, nkb, first, c, 1);
  }
}

// ---------------------------------------------------------------------------------------------
// Driver

/** Row groups [ga, gb) x tokens [t0, t1): K panels of kb blocks, each group packed once per panel. */
@inline
function segment(w: usize, act: usize, y: usize, N: i32, nb: i32, kb: i32, ga: i32, gb: i32, t0: i32, t1: i32, scratch: usize, q4: bool): void {
  const narrow = q4 && ASC_FEATURE_RELAXED_SIMD;
  const R: usize = narrow ? R8 : R16;
  const gbytes: usize = q4 ? 72 : 136;
  const ms = <usize>NT_MAX * R;
  const tileBytes = <usize>nb * ms;
  const ytile = scratch + SCRATCH_HEAD;
  const panel = ytile + (<usize>(t1 - t0) << 4);
  const ystride = <usize>N << 2;
  for (let b0 = 0; b0 < nb; b0 += kb) {
    const nkb = min(kb, nb - b0);
    const first = b0 == 0;
    const last = b0 + nkb >= nb;
    for (let g = ga; g < gb; g++) {
      const wg = w + (<usize>g * <usize>nb + <usize>b0) * gbytes;
      if (narrow) packQ4narrow(wg, nkb, panel, scratch);
      else if (q4) packQ4wide(wg, nkb, panel, scratch);
      else packQ8(wg, nkb, panel, scratch);
      // A group that ends past N accumulates in the scratch tile (its spare lanes are not outputs).
      const partial = (g << 2) + 4 > N;
      const yp0 = partial ? ytile : y + ((<usize>t0 * <usize>N + (<usize>g << 2)) << 2);
      const ys: usize = partial ? 16 : ystride;
      const pa0 = act + <usize>(t0 / NT_MAX) * tileBytes + <usize>b0 * ms;
      for (let t = t0; t < t1; t += NT_MAX) {
        const nt = min(NT_MAX, t1 - t);
        const pa = pa0 + <usize>((t - t0) / NT_MAX) * tileBytes;
        const yp = yp0 + <usize>(t - t0) * ys;
        if (narrow) tileNarrow(panel, pa, ms, yp, ys, nkb, first, scratch, nt);
        else tileWide(panel, pa, ms, yp, ys, nkb, first, nt);
      }
      if (partial && last) {
        const r0 = g << 2;
        for (let t = t0; t < t1; t++) {
          const src = ytile + (<usize>(t - t0) << 4);
          const dst = y + ((<usize>t * <usize>N + <usize>r0) << 2);
          for (let r = 0; r < N - r0; r++) store<f32>(dst + (<usize>r << 2), load<f32>(src + (<usize>r << 2)));
        }
      }
    }
  }
}

@inline
function qgemm(w: usize, act: usize, y: usize, M: i32, N: i32, K: i32, ts: i32, kb: i32, start: i32, end: i32, scratch: usize, q4: bool): void {
  const nb = K >> 5;
  const NG = (N + 3) >> 2;
  // Splits hold whole tiles.
  const mc = (((M + ts - 1) / ts + NT_MAX - 1) / NT_MAX) * NT_MAX;
  writeConsts(scratch);
  let u = start;
  while (u < end) {
    const s = u / NG;
    const ga = u - s * NG;
    const gb = min(NG, ga + (end - u));
    const t0 = s * mc;
    const t1 = min(M, t0 + mc);
    if (t0 < t1) segment(w, act, y, N, nb, kb, ga, gb, t0, t1, scratch, q4);
    u += gb - ga;
  }
}

/** Y[M, N] = X W^T for W Q8_0 (x4 layout). act: qgemm_quantize records (wide); ts token splits;
 *  kb blocks per K panel; units [start, end) of ceil(N / 4) * ts. */
export function qgemm_q8_0(w: usize, act: usize, y: usize, M: i32, N: i32, K: i32, ts: i32, kb: i32, start: i32, end: i32, scratch: usize): void {
  qgemm(w, act, y, M, N, K, ts, kb, start, end, scratch, false);
}

/** As qgemm_q8_0 for Q4_0; act records narrow in the relaxed build, wide in the SIMD128 one. */
export function qgemm_q4_0(w: usize, act: usize, y: usize, M: i32, N: i32, K: i32, ts: i32, kb: i32, start: i32, end: i32, scratch: usize): void {
  qgemm(w, act, y, M, N, K, ts, kb, start, end, scratch, true);
}

// ---------------------------------------------------------------------------------------------
// Few tokens (batched decode), Q4_0: packing a panel does not pay off below about 4 tokens. This
// path reads the x4 weights in place with gemv's per-row integer dots on quantize_act's 176-byte
// records (gemv.ts), decoding each block's scales once for all tokens and keeping the group's
// weights in L1 while the tokens reuse them, up to 4 tokens' sums in registers. Same integer sums
// and f32 steps as gemv: the same bits.

const ACT_BLOCK: usize = 176; // quantize_act's record (gemv.ts)

@inline
function hsum4i(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(ab, cd, 0, 1, 4, 5), v128.shuffle<i32>(ab, cd, 2, 3, 6, 7));
}

@inline
function hsum4w(a: v128, b: v128, c: v128, d: v128, ones: v128): v128 {
  const ab = i16x8.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
  const cd = i16x8.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return i32x4.dot_i16x8_s(i16x8.add(v128.shuffle<i64>(ab, cd, 0, 2), v128.shuffle<i64>(ab, cd, 1, 3)), ones);
}

@inline
function q8dotB(p: usize, xe0: v128, xe1: v128, xo0: v128, xo1: v128, hi8: v128): v128 {
  const w0 = v128.load(p);
  const w1 = v128.load(p, 16);
  const a = i32x4.dot_i16x8_s(i16x8.shl(w0, 8), xe0);
  const b = i32x4.dot_i16x8_s(v128.and(w0, hi8), xo0);
  const c = i32x4.dot_i16x8_s(i16x8.shl(w1, 8), xe1);
  const d = i32x4.dot_i16x8_s(v128.and(w1, hi8), xo1);
  return i32x4.add(i32x4.add(a, b), i32x4.add(c, d));
}

@inline
function q8dotR(p: usize, a0: v128, a1: v128, s0: v128, s1: v128, ones: v128): v128 {
  const w0 = v128.xor(v128.load(p), s0);
  const w1 = v128.xor(v128.load(p, 16), s1);
  return i32x4.add(i32x4.dot_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w0, a0), ones), i32x4.dot_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w1, a1), ones));
}

@inline
function q4B(p: usize, xe0: v128, xe1: v128, xo0: v128, xo1: v128, m: v128): v128 {
  const v = v128.load(p);
  const a = i16x8.mul(v128.and(v, m), xe0);
  const b = i16x8.mul(v128.and(i16x8.shr_u(v, 4), m), xe1);
  const c = i16x8.mul(v128.and(i16x8.shr_u(v, 8), m), xo0);
  const d = i16x8.mul(i16x8.shr_u(v, 12), xo1);
  return i16x8.add(i16x8.add(a, b), i16x8.add(c, d));
}

@inline
function q4R(p: usize, xl: v128, xh: v128, m: v128): v128 {
  const v = v128.load(p);
  return i16x8.add(i16x8.relaxed_dot_i8x16_i7x16_s(xl, v128.and(v, m)), i16x8.relaxed_dot_i8x16_i7x16_s(xh, v128.and(i16x8.shr_u(v, 4), m)));
}

const C_HI8: u32 = 112; // 0xff00 i16 lanes
const C_NIB16: u32 = 128; // 0x000f i16 lanes

/** gemv's Q4_0 integer sum of one x4 group block at wp against the record at ap: [isum r0..r3]. */
@inline
function groupDotQ4(wp: usize, ap: usize, c: usize): v128 {
  const ones = v128.load(c, C_ONES);
  let s: v128;
  if (ASC_FEATURE_RELAXED_SIMD) {
    const m = v128.load(c, C_NIB);
    const xl = v128.load(ap);
    const xh = v128.load(ap, 16);
    s = hsum4w(q4R(wp + 8, xl, xh, m), q4R(wp + 24, xl, xh, m), q4R(wp + 40, xl, xh, m), q4R(wp + 56, xl, xh, m), ones);
  } else {
    const m = v128.load(c, C_NIB16);
    const xe0 = v128.load(ap, 96), xe1 = v128.load(ap, 112), xo0 = v128.load(ap, 128), xo1 = v128.load(ap, 144);
    s = hsum4w(q4B(wp + 8, xe0, xe1, xo0, xo1, m), q4B(wp + 24, xe0, xe1, xo0, xo1, m), q4B(wp + 40, xe0, xe1, xo0, xo1, m), q4B(wp + 56, xe0, xe1, xo0, xo1, m), ones);
  }
  return i32x4.sub(s, v128.load32_splat(ap, 164));
}

@inline
function storeRow4(o: usize, row0: i32, N: i32, acc: v128): void {
  if (row0 + 4 <= N) {
    v128.store(o, acc);
  } else {
    if (row0 < N) store<f32>(o, f32x4.extract_lane(acc, 0));
    if (row0 + 1 < N) store<f32>(o, f32x4.extract_lane(acc, 1), 4);
    if (row0 + 2 < N) store<f32>(o, f32x4.extract_lane(acc, 2), 8);
  }
}

@inline
function fewTokens(w: usize, act: usize, y: usize, N: i32, nb: i32, g: i32, c: usize, NT: i32): void {
  const gbytes: usize = 72;
  const tstride = <usize>nb * ACT_BLOCK;
  let wp = w + <usize>g * <usize>nb * gbytes;
  let ap = act;
  let f0 = f32x4.splat(0), f1 = f32x4.splat(0), f2 = f32x4.splat(0), f3 = f32x4.splat(0);
  for (let b = 0; b < nb; b++) {
    const dw = scales4(wp, c);
    f0 = f32x4.add(f0, f32x4.mul(f32x4.convert_i32x4_s(groupDotQ4(wp, ap, c)), f32x4.mul(dw, v128.load32_splat(ap, 160))));
    if (NT > 1) f1 = f32x4.add(f1, f32x4.mul(f32x4.convert_i32x4_s(groupDotQ4(wp, ap + tstride, c)), f32x4.mul(dw, v128.load32_splat(ap + tstride, 160))));
    if (NT > 2) f2 = f32x4.add(f2, f32x4.mul(f32x4.convert_i32x4_s(groupDotQ4(wp, ap + 2 * tstride, c)), f32x4.mul(dw, v128.load32_splat(ap + 2 * tstride, 160))));
    if (NT > 3) f3 = f32x4.add(f3, f32x4.mul(f32x4.convert_i32x4_s(groupDotQ4(wp, ap + 3 * tstride, c)), f32x4.mul(dw, v128.load32_splat(ap + 3 * tstride, 160))));
    wp += gbytes;
    ap += ACT_BLOCK;
  }
  const r0 = g << 2;
  const ys = <usize>N << 2;
  const o = y + (<usize>r0 << 2);
  storeRow4(o, r0, N, f0);
  if (NT > 1) storeRow4(o + ys, r0, N, f1);
  if (NT > 2) storeRow4(o + 2 * ys, r0, N, f2);
  if (NT > 3) storeRow4(o + 3 * ys, r0, N, f3);
}

@inline
function fewQ4(w: usize, act: usize, y: usize, M: i32, N: i32, K: i32, start: i32, end: i32, scratch: usize): void {
  const nb = K >> 5;
  writeConsts(scratch);
  v128.store(scratch, i16x8.splat(0x000f), C_NIB16);
  const tstride = <usize>nb * ACT_BLOCK;
  for (let g = start; g < end; g++) {
    for (let t = 0; t < M; t += 4) {
      const a = act + <usize>t * tstride;
      const yt = y + ((<usize>t * <usize>N) << 2);
      const nt = min(4, M - t);
      if (nt == 4) fewTokens(w, a, yt, N, nb, g, scratch, 4);
      else if (nt == 3) fewTokens(w, a, yt, N, nb, g, scratch, 3);
      else if (nt == 2) fewTokens(w, a, yt, N, nb, g, scratch, 2);
      else fewTokens(w, a, yt, N, nb, g, scratch, 1);
    }
  }
}

/** Y[M, N] = X W^T for few tokens, W Q4_0 (x4): act holds quantize_act records of the M tokens;
 *  units [start, end) are row groups of 4. */
export function qgemm_few_q4_0(w: usize, act: usize, y: usize, M: i32, N: i32, K: i32, start: i32, end: i32, scratch: usize): void {
  fewQ4(w, act, y, M, N, K, start, end, scratch);
}

// ---------------------------------------------------------------------------------------------
// Batched decode, Q8_0 (one token per sequence of a serving step, up to a few dozen): a multi-token
// GEMV. Each 4-row group's blocks are read once from the x4 layout in place and dotted with every
// token's activations before the next block, so the weights stream from memory once per step. Q8_0's
// int8 dot is bound by its multiplies (a relaxed dot and a widening dot per 16 products, whatever
// the tiling, on wasm's 128-bit SIMD without VNNI), so a token costs gemv's dots on its own operands:
// packing (qgemm_q8_0) costs more than it saves up to about 64 tokens. quantize_act's records are
// first copied, block-major (the M tokens of block b side by side), into the thread's scratch with
// only the bytes this build reads (64 operand bytes, d and neg): one short sequential read per block
// that stays in cache while the weights pass. The sums live in scratch (16 bytes per token). gemv's
// integer sums and f32 steps, block after block: row m of Y has matvec(W, x[m])'s bits.

// Thread scratch: constants, the per-token sums, the compact records.
const BATCH_HEAD: usize = 256;
// Compact record of (block, token): relaxed |q| and sgn(q) (record bytes 32..95), SIMD128 permuted
// int16 q (96..159); f32 d at 64, i32 neg (168) at 68.
const CR: usize = 80;
const CR_OFF: usize = ASC_FEATURE_RELAXED_SIMD ? 32 : 96;

/** Scratch bytes qgemm_batch_q8_0 needs per thread for M tokens of K inputs. */
export function qgemm_batch_scratch_bytes(M: i32, K: i32): i32 {
  return <i32>(BATCH_HEAD + (<usize>M << 4) + <usize>(K >> 5) * <usize>M * CR);
}

@inline
function compactBatch(act: usize, M: i32, nb: i32, xs: usize): void {
  const ts = <usize>M * CR;
  for (let t = 0; t < M; t++) {
    let ap = act + <usize>t * <usize>nb * ACT_BLOCK;
    let xp = xs + <usize>t * CR;
    for (let b = 0; b < nb; b++) {
      v128.store(xp, v128.load(ap + CR_OFF));
      v128.store(xp, v128.load(ap + CR_OFF, 16), 16);
      v128.store(xp, v128.load(ap + CR_OFF, 32), 32);
      v128.store(xp, v128.load(ap + CR_OFF, 48), 48);
      store<u32>(xp, load<u32>(ap, 160), 64);
      store<u32>(xp, load<u32>(ap, 168), 68);
      ap += ACT_BLOCK;
      xp += ts;
    }
  }
}

/** gemv's Q8_0 integer sums of one x4 group block at wp against a compact record at xp. */
@inline
function q8GroupDot(wp: usize, xp: usize, c: usize): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    const ones = v128.load(c, C_ONES);
    const a0 = v128.load(xp), a1 = v128.load(xp, 16), s0 = v128.load(xp, 32), s1 = v128.load(xp, 48);
    const s = hsum4i(q8dotR(wp + 8, a0, a1, s0, s1, ones), q8dotR(wp + 40, a0, a1, s0, s1, ones), q8dotR(wp + 72, a0, a1, s0, s1, ones), q8dotR(wp + 104, a0, a1, s0, s1, ones));
    return i32x4.add(s, v128.load32_splat(xp, 68));
  }
  const hi8 = v128.load(c, C_HI8);
  const xe0 = v128.load(xp), xe1 = v128.load(xp, 16), xo0 = v128.load(xp, 32), xo1 = v128.load(xp, 48);
  const s = hsum4i(q8dotB(wp + 8, xe0, xe1, xo0, xo1, hi8), q8dotB(wp + 40, xe0, xe1, xo0, xo1, hi8), q8dotB(wp + 72, xe0, xe1, xo0, xo1, hi8), q8dotB(wp + 104, xe0, xe1, xo0, xo1, hi8));
  return i32x4.shr_s(s, 8);
}

/** Y[M, N] = X W^T for W Q8_0 (x4), M tokens of a batched decode step: act holds quantize_act
 *  records of the M tokens; units [start, end) are row groups of 4; qgemm_batch_scratch_bytes(M, K)
 *  of scratch. */
export function qgemm_batch_q8_0(w: usize, act: usize, y: usize, M: i32, N: i32, K: i32, start: i32, end: i32, scratch: usize): void {
  const nb = K >> 5;
  writeConsts(scratch);
  v128.store(scratch, i16x8.splat(<i16>0xff00), C_HI8);
  const accs = scratch + BATCH_HEAD;
  const ae = accs + (<usize>M << 4);
  const xs = ae;
  compactBatch(act, M, nb, xs);
  const ys = <usize>N << 2;
  for (let g = start; g < end; g++) {
    for (let a = accs; a < ae; a += 16) v128.store(a, f32x4.splat(0));
    let wp = w + <usize>g * <usize>nb * 136;
    let xp = xs;
    for (let b = 0; b < nb; b++) {
      const dw = scales4(wp, scratch);
      for (let a = accs; a < ae; a += 16) {
        const s = q8GroupDot(wp, xp, scratch);
        v128.store(a, f32x4.add(v128.load(a), f32x4.mul(f32x4.convert_i32x4_s(s), f32x4.mul(dw, v128.load32_splat(xp, 64)))));
        xp += CR;
      }
      wp += 136;
    }
    const r0 = g << 2;
    let o = y + (<usize>r0 << 2);
    for (let a = accs; a < ae; a += 16) {
      storeRow4(o, r0, N, v128.load(a));
      o += ys;
    }
  }
}

// Backward of the training attention (attention_train_f32): causal GQA over B independent
// sequences, the softmax recomputed from q and k (nothing saved by the forward).
import { attentionProbs, dot } from './simd';

/**
 * Units u in [start, end) are (sequence b = u / hkv, kv head g = u % hkv). A unit owns the dk and dv
 * rows of kv head g in sequence b and the dq rows of its query heads g * group .. (g + 1) * group - 1,
 * so no two threads write one element and every sum runs in one fixed order
 * (heads, then query tokens t, then keys s, all ascending).
 *   q, dout, dq: [B, T, hq, dim]; k, v, dk, dv: [B, T, hkv, dim]; dq, dk, dv are overwritten.
 * For each query row (t, h): P = softmax(scale q_t . k_s) over s <= t (as the forward computed it),
 *   dP_s = dout_t . v_s, delta = sum_s P_s dP_s, dS_s = P_s (dP_s - delta),
 *   dq_t = scale sum_s dS_s k_s, dk_s += (scale dS_s) q_t, dv_s += P_s dout_t.
 * Scratch: P and dP, T floats each, the second at a 16-byte boundary (size checked by the caller).
 * segs (0: none): i32 [B, T], where each token's segment starts in its row (packed samples); row t
 * then runs over keys segs[t] ..= t only, as if its segment were a sequence of its own (same bits).
 */
export function attention_backward_f32(
  q: usize, k: usize, v: usize, dout: usize, dq: usize, dk: usize, dv: usize,
  seqLen: i32, hq: i32, hkv: i32, dim: i32, scale: f32, segs: usize,
  start: i32, end: i32, scratch: usize,
): void {
  const group = hq / hkv;
  const rowBytes = <usize>dim << 2;
  const qStride = <usize>hq * rowBytes;
  const kvStride = <usize>hkv * rowBytes;
  const probs = scratch;
  const dprobs = scratch + ((<usize>seqLen * 4 + 15) & ~(<usize>15));
  const vscale = f32x4.splat(scale);
  for (let u = start; u < end; u++) {
    const b = u / hkv;
    const g = u - b * hkv;
    const kvBase = <usize>b * <usize>seqLen * kvStride + <usize>g * rowBytes;
    const kb = k + kvBase;
    const vb = v + kvBase;
    const dkb = dk + kvBase;
    const dvb = dv + kvBase;
    for (let s = 0; s < seqLen; s++) {
      memory.fill(dkb + <usize>s * kvStride, 0, rowBytes);
      memory.fill(dvb + <usize>s * kvStride, 0, rowBytes);
    }
    for (let h = g * group; h < (g + 1) * group; h++) {
      for (let t = 0; t < seqLen; t++) {
        const rowOff = (<usize>b * <usize>seqLen + <usize>t) * qStride + <usize>h * rowBytes;
        const qr = q + rowOff;
        const dor = dout + rowOff;
        const dqr = dq + rowOff;
        const first = segs != 0 ? load<i32>(segs + ((<usize>b * <usize>seqLen + <usize>t) << 2)) : 0;
        const skip = <usize>first * kvStride;
        const len = t + 1 - first;
        attentionProbs(qr, kb + skip, kvStride, len, dim, scale, probs);
        let vr = vb + skip;
        for (let s = 0; s < len; s++) {
          store<f32>(dprobs + (<usize>s << 2), dot(dor, vr, dim));
          vr += kvStride;
        }
        const delta = dot(probs, dprobs, len);
        memory.fill(dqr, 0, rowBytes);
        let kr = kb + skip;
        let dkr = dkb + skip;
        let dvr = dvb + skip;
        for (let s = 0; s < len; s++) {
          const p = load<f32>(probs + (<usize>s << 2));
          const ds = p * (load<f32>(dprobs + (<usize>s << 2)) - delta);
          const sds = scale * ds;
          const vds = f32x4.splat(ds);
          const vsds = f32x4.splat(sds);
          const vp = f32x4.splat(p);
          let i = 0;
          for (; i + 4 <= dim; i += 4) {
            const o = <usize>i << 2;
            v128.store(dqr + o, f32x4.add(v128.load(dqr + o), f32x4.mul(vds, v128.load(kr + o))));
            v128.store(dkr + o, f32x4.add(v128.load(dkr + o), f32x4.mul(vsds, v128.load(qr + o))));
            v128.store(dvr + o, f32x4.add(v128.load(dvr + o), f32x4.mul(vp, v128.load(dor + o))));
          }
          for (; i < dim; i++) {
            const o = <usize>i << 2;
            store<f32>(dqr + o, load<f32>(dqr + o) + ds * load<f32>(kr + o));
            store<f32>(dkr + o, load<f32>(dkr + o) + sds * load<f32>(qr + o));
            store<f32>(dvr + o, load<f32>(dvr + o) + p * load<f32>(dor + o));
          }
          kr += kvStride;
          dkr += kvStride;
          dvr += kvStride;
        }
        let i = 0;
        for (; i + 4 <= dim; i += 4) {
          const o = <usize>i << 2;
          v128.store(dqr + o, f32x4.mul(v128.load(dqr + o), vscale));
        }
        for (; i < dim; i++) {
          const o = <usize>i << 2;
          store<f32>(dqr + o, load<f32>(dqr + o) * scale);
        }
      }
    }
  }
}

// The float64 reference of inference attention over a KV cache, shared by the decode and prefill tests.

/** Causal GQA in float64: token t at pos0 + t sees rows 0 ..= pos0 + t; head h reads kv head h / (hq / hkv). */
export function refAttention(q: Float32Array, k: Float32Array, v: Float32Array, t: number, hq: number, hkv: number, d: number, pos0: number): Float64Array {
  const out = new Float64Array(t * hq * d);
  const group = hq / hkv;
  for (let ti = 0; ti < t; ti++) {
    for (let h = 0; h < hq; h++) {
      const kvh = Math.floor(h / group);
      const len = pos0 + ti + 1;
      const scores = new Float64Array(len);
      let m = -Infinity;
      for (let s = 0; s < len; s++) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += q[(ti * hq + h) * d + i]! * k[(s * hkv + kvh) * d + i]!;
        scores[s] = dot / Math.sqrt(d);
        m = Math.max(m, scores[s]!);
      }
      let sum = 0;
      for (let s = 0; s < len; s++) sum += scores[s] = Math.exp(scores[s]! - m);
      for (let s = 0; s < len; s++) {
        const p = scores[s]! / sum;
        for (let i = 0; i < d; i++) out[(ti * hq + h) * d + i]! += p * v[(s * hkv + kvh) * d + i]!;
      }
    }
  }
  return out;
}

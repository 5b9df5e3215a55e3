// Backward of the training attention (attentionTrain): causal GQA within B independent sequences.
import { expectShape, type Tensor } from '../tensor.js';
import { expectSegmentStarts, trainingAttentionShapes, useTiledAttention } from './attention.js';
import { arenaOf, expectNoOverlap } from './util.js';

/** Bytes of scratch the backward needs per thread: two score rows of T floats, 16-byte aligned. */
export function attentionBackwardScratchBytes(seqLen: number): number {
  return 2 * Math.ceil((seqLen * 4) / 16) * 16;
}

/**
 * Gradients of attentionTrain(q, k, v, out, segStarts) given dOut, softmax recomputed from q and k:
 *   q, dOut, dq: f32 [B, T, Hq, D]; k, v, dk, dv: f32 [B, T, Hkv, D]; dq, dk, dv OVERWRITTEN
 *   (none may overlap an input or another output).
 * Per query row: P = softmax(q.k_s / sqrt(D)) over s <= t, dP_s = dOut.v_s, delta = sum_s P_s dP_s,
 * dS_s = P_s (dP_s - delta); dq_t = sum_s dS_s k_s / sqrt(D), dk_s += dS_s q_t / sqrt(D),
 * dv_s += P_s dOut_t. Parallel over (sequence, kv head) pairs, each owning its dk, dv rows and its
 * query heads' dq rows: bit-identical on any thread count. With segStarts (packed samples), the sums
 * over s run over the query's own segment only (s from segStarts[t]).
 */
export function attentionBackward(q: Tensor, k: Tensor, v: Tensor, dOut: Tensor, dq: Tensor, dk: Tensor, dv: Tensor, segStarts?: Tensor): void {
  const op = 'attentionBackward';
  const { b, t, hq, hkv, d } = trainingAttentionShapes(op, q, k, v);
  expectShape(op, 'dOut', dOut, 'f32', q.shape);
  expectShape(op, 'dq', dq, 'f32', q.shape);
  expectShape(op, 'dk', dk, 'f32', k.shape);
  expectShape(op, 'dv', dv, 'f32', k.shape);
  const rt = q.rt;
  const need = attentionBackwardScratchBytes(t);
  if (need > rt.scratchBytesPerThread) {
    throw new RangeError(
      `${op}: sequences of ${t} tokens need ${need} bytes of scratch per thread (two score rows), more than the ${rt.scratchBytesPerThread} configured (Runtime option scratchBytesPerThread)`,
    );
  }
  const arena = arenaOf(op, { q, k, v, dOut, dq, dk, dv });
  expectNoOverlap(op, { dq, dk, dv }, { q, k, v, dOut });
  const segs = segStarts ? expectSegmentStarts(op, segStarts, b, t, arena) : 0;
  if (b * t === 0) return;
  const scale = Math.fround(1 / Math.sqrt(d));
  const args = [q.offset, k.offset, v.offset, dOut.offset, dq.offset, dk.offset, dv.offset, t, hq, hkv, d, scale, segs];
  rt.parallel(useTiledAttention(rt, arena, t, d, true) ? 'attention_backward_tiled_f32' : 'attention_backward_f32', arena, args, b * hkv, 1, 1);
}

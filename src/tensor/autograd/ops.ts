// The differentiable ops of a Llama/Yi decoder, each a forward kernel call plus the backward closure it
// records on the tape. Shapes: N = tokens (B sequences x T), H = hidden, V = vocab, D = head dim.
import { add as addKernel, swiglu as swigluKernel } from '../ops/activation.js';
import { attentionBackward } from '../ops/attention-backward.js';
import { attentionTrain } from '../ops/attention.js';
import { embeddingBackward } from '../ops/embedding-backward.js';
import { embedding as embeddingKernel } from '../ops/embedding.js';
import { crossEntropy as crossEntropyKernel } from '../ops/loss.js';
import { matmul } from '../ops/matmul.js';
import { rmsnormBackward } from '../ops/norm-backward.js';
import { rmsnormTrain } from '../ops/norm.js';
import { applyRope, type RopeTable } from '../ops/rope.js';
import { swigluBackward } from '../ops/activation-backward.js';
import type { Tensor } from '../tensor.js';
import { type Tape, Var } from './tape.js';

/** x = table[ids]: table [V, H] (a parameter), ids i32 [N] -> [N, H]. */
export function embedding(tape: Tape, table: Var, ids: Tensor): Var {
  const out = tape.output(embeddingKernel(table.value, ids, tape.blank([ids.numel, table.value.cols])), table);
  return tape.record(out, (dOut) => {
    // dTable[ids[i]] += dOut[i]; the kernel accumulates, so a fresh gradient starts from zeros.
    tape.accumulateGrad(table, (dst, beta) => {
      if (beta === 0) dst.arena.f32.fill(0, dst.offset / 4, dst.offset / 4 + dst.numel);
      embeddingBackward(ids, dOut, dst);
    });
  }, [ids]);
}

/** y = x W^T (a Hugging Face linear layer without bias): x [N, in], w [out, in] -> [N, out]. */
export function linear(tape: Tape, x: Var, w: Var): Var {
  const [n, k] = [x.value.rows, x.value.cols];
  const x2 = x.value.reshape([n, k]);
  const y = matmul(x2, w.value, { transB: true, out: tape.blank([n, w.value.shape[0]!]) });
  const out = tape.output(y, x, w);
  return tape.record(out, (dOut) => {
    // dx = dy W        [N, out] x [out, in]
    tape.accumulateGrad(x, (dst, beta) => matmul(dOut, w.value, { out: dst.reshape([n, k]), beta }));
    // dW += dy^T x     [out, N] x [N, in]
    tape.accumulateGrad(w, (dst, beta) => matmul(dOut, x2, { transA: true, out: dst, beta }));
  }, [x.value]);
}

/** y = x / rms(x) * w over the last dimension: x [N, H], w [H]. */
export function rmsnorm(tape: Tape, x: Var, w: Var, eps: number): Var {
  const rstd = tape.blank([x.value.rows]);
  const y = rmsnormTrain(x.value, w.value, eps, tape.blank(x.value.shape), rstd);
  const out = tape.output(y, x, w);
  return tape.record(out, (dOut) => {
    // The kernel accumulates dW and overwrites dx; w is a parameter, so its gradient exists.
    const dW = w.requiresGrad ? w.grad ?? (w.grad = tape.tensor(w.value.shape)) : tape.tensor(w.value.shape);
    tape.setOrAddGrad(x, (dst) => rmsnormBackward(dOut, x.value, w.value, rstd, dst, dW));
    if (!w.requiresGrad) tape.free(dW);
  }, [x.value, rstd]);
}

/**
 * Rotary position embedding, IN PLACE: x [N, heads, D] is rotated and returned as the output, so x's
 * value must not be read again (it never is: q and k are used only through their rotated copies).
 */
export function ropeInPlace(tape: Tape, x: Var, positions: Tensor, table: RopeTable): Var {
  applyRope(x.value, positions, table);
  const out = tape.output(x.value, x);
  return tape.record(out, (dOut) => {
    // The rotation's transpose is the rotation by -angle; done in dOut's own storage.
    applyRope(dOut.reshape(x.value.shape), positions, table, true);
    tape.passGrad(x, dOut);
  }, [positions]);
}

/**
 * Causal GQA within each sequence: q [B, T, Hq, D], k, v [B, T, Hkv, D] -> [B, T, Hq, D]; with
 * segStarts (i32 [B, T], packed samples: ops/attention.ts expectSegmentStarts) within each segment.
 */
export function attention(tape: Tape, q: Var, k: Var, v: Var, segStarts?: Tensor): Var {
  const y = attentionTrain(q.value, k.value, v.value, tape.blank(q.value.shape), segStarts);
  const out = tape.output(y, q, k, v);
  return tape.record(out, (dOut) => {
    const dq = tape.blank(q.value.shape);
    const dk = tape.blank(k.value.shape);
    const dv = tape.blank(v.value.shape);
    attentionBackward(q.value, k.value, v.value, dOut.reshape(q.value.shape), dq, dk, dv, segStarts);
    for (const [x, g] of [[q, dq], [k, dk], [v, dv]] as const) {
      if (x.requiresGrad) tape.passGrad(x, g);
      else tape.free(g);
    }
  }, segStarts ? [q.value, k.value, v.value, segStarts] : [q.value, k.value, v.value]);
}

/** silu(gate) * up, elementwise: [N, F]. */
export function swiglu(tape: Tape, gate: Var, up: Var): Var {
  const y = swigluKernel(gate.value, up.value, tape.blank(gate.value.shape));
  const out = tape.output(y, gate, up);
  return tape.record(out, (dOut) => {
    const dGate = tape.blank(gate.value.shape);
    const dUp = tape.blank(up.value.shape);
    swigluBackward(gate.value, up.value, dOut, dGate, dUp);
    for (const [x, g] of [[gate, dGate], [up, dUp]] as const) {
      if (x.requiresGrad) tape.passGrad(x, g);
      else tape.free(g);
    }
  }, [gate.value, up.value]);
}

/** a + b, elementwise (the residual connection). */
export function add(tape: Tape, a: Var, b: Var): Var {
  const y = addKernel(a.value, b.value.reshape(a.value.shape), tape.blank(a.value.shape));
  const out = tape.output(y, a, b);
  return tape.record(out, (dOut) => {
    // Both inputs receive dOut unchanged; only one of them may take its storage.
    if (a.requiresGrad && b.requiresGrad) {
      tape.setOrAddGrad(b, (dst) => dst.arena.u8.copyWithin(dst.offset, dOut.offset, dOut.offset + dOut.byteLength));
      tape.passGrad(a, dOut);
    } else if (a.requiresGrad) {
      tape.passGrad(a, dOut);
    } else if (b.requiresGrad) {
      tape.passGrad(b, dOut);
    }
  });
}

/** The same values with another shape (a view: no copy). */
export function reshape(tape: Tape, x: Var, shape: readonly number[]): Var {
  const out = tape.output(x.value.reshape(shape), x);
  return tape.record(out, (dOut) => tape.passGrad(x, dOut));
}

export interface CrossEntropyResult {
  /** The loss Var ([1], mean over counted targets); backward() starts from it. */
  loss: Var;
  /** Sum of -log p(target) over the targets that count (not -1), in float64. */
  sum: number;
  /** How many targets counted. */
  count: number;
}

/**
 * Mean next-token cross-entropy: logits [N, V] (CONSUMED: the fused kernel turns them into their
 * gradient in place), targets i32 [N], -1 = not counted (prompt tokens in SFT, padding).
 * `normalizer` divides the summed loss (default: this batch's counted targets); gradient accumulation
 * passes the count of the whole accumulated batch so that micro-batches add up to one mean.
 */
export function crossEntropy(tape: Tape, logits: Var, targets: Tensor, normalizer?: number): CrossEntropyResult {
  const n = logits.value.rows;
  const t = targets.arena.i32.subarray(targets.offset / 4, targets.offset / 4 + n);
  let count = 0;
  for (let i = 0; i < n; i++) if (t[i] !== -1) count++;
  const norm = normalizer ?? Math.max(1, count);
  if (!(norm > 0)) throw new RangeError(`crossEntropy: normalizer must be > 0, got ${norm}`);
  const losses = tape.blank([n]);
  crossEntropyKernel(logits.value, targets, losses, 1 / norm);
  const lv = losses.arena.f32.subarray(losses.offset / 4, losses.offset / 4 + n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += lv[i]!;
  tape.free(losses);
  const value = tape.tensor([1]);
  value.arena.f32[value.offset / 4] = sum / norm;
  const loss = tape.record(tape.output(value, logits), (dOut) => {
    // The logits buffer already holds d(sum / norm) / d logits; scale by the upstream gradient.
    const g = dOut.arena.f32[dOut.offset / 4]!;
    if (g !== 1) {
      const lg = logits.value.arena.f32.subarray(logits.value.offset / 4, logits.value.offset / 4 + logits.value.numel);
      for (let i = 0; i < lg.length; i++) lg[i]! *= g;
    }
    tape.passGrad(logits, logits.value);
  });
  return { loss, sum, count };
}

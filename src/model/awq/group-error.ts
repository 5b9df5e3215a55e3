// The error AWQ minimises for o_proj and down_proj (block-error.ts has q/k/v's and gate/up's): how
// far a group's outputs move when its matrices are rounded, on the calibration activations. For inputs X [N, in], matrices W_i [out_i, in] and scales s [in]:
//   float output:  X W_i^T = (X / s) (W_i s)^T
//   file output:   (X / s) Q(W_i s)^T      (1/s folded into what produces X, s into W's columns)
//   error:         mean over N x sum(out_i) of ((X / s) (Q(W_i s) - W_i s)^T)^2
// (AutoAWQ's mean squared error; s = 1 is plain round-to-nearest). One GEMM per chunk of tokens on
// the difference of the rounded and float weights gives the output difference directly.
import type { Arena } from '../../runtime/arena.js';
import type { Runtime } from '../../runtime/runtime.js';
import { matmul } from '../../tensor/ops/matmul.js';
import { Tensor } from '../../tensor/tensor.js';
import type { ConvertType } from '../convert.js';
import { roundTrip } from './fake-quant.js';

/** One matrix of a group: its f32 weights [out, in] and the type the file will store it in. */
export interface GroupMatrix {
  w: Tensor;
  type: ConvertType;
}

/** Tokens per GEMM when measuring: bounds the f32 buffers to CHUNK x (in + out) values. */
const CHUNK = 256;

/**
 * The group's mean squared output error with scales `s` (undefined: none, plain rounding) on
 * inputs X [N, in]. All matrices share `arena`.
 */
export function groupError(rt: Runtime, arena: Arena, X: Float32Array, mats: readonly GroupMatrix[], s?: Float32Array): number {
  const cols = mats[0]!.w.cols;
  const N = X.length / cols;
  const outTotal = mats.reduce((a, m) => a + m.w.rows, 0);
  // E = Q(W s) - W s, the group's matrices stacked                                   [sum out, in]
  const E = Tensor.zeros(rt, 'f32', [outTotal, cols], arena);
  const chunk = Math.min(CHUNK, N);
  const xs = Tensor.zeros(rt, 'f32', [chunk, cols], arena);
  const d = Tensor.zeros(rt, 'f32', [chunk, outTotal], arena);
  try {
    let row = 0;
    for (const m of mats) {
      const rows = m.w.rows;
      const ws = E.slice(row, rows);
      const e = ws.arena.f32.subarray(ws.offset / 4, ws.offset / 4 + rows * cols);
      e.set(m.w.arena.f32.subarray(m.w.offset / 4, m.w.offset / 4 + rows * cols));
      if (s) for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) e[r * cols + c] = e[r * cols + c]! * s[c]!;
      const q = Tensor.zeros(rt, 'f32', [rows, cols], arena);
      try {
        roundTrip(rt, ws, m.type, q);
        const qv = q.arena.f32.subarray(q.offset / 4, q.offset / 4 + rows * cols);
        for (let i = 0; i < e.length; i++) e[i] = qv[i]! - e[i]!;
      } finally {
        q.dispose();
      }
      row += rows;
    }
    let sum = 0;
    const xv = xs.arena.f32;
    const dv = d.arena.f32;
    for (let t0 = 0; t0 < N; t0 += chunk) {
      const n = Math.min(chunk, N - t0);
      // xs = X / s for tokens t0 .. t0 + n - 1                                       [n, in]
      const base = xs.offset / 4;
      for (let t = 0; t < n; t++) {
        const src = (t0 + t) * cols;
        for (let c = 0; c < cols; c++) xv[base + t * cols + c] = s ? X[src + c]! / s[c]! : X[src + c]!;
      }
      const out = d.slice(0, n);
      matmul(xs.slice(0, n), E, { transB: true, out });
      const o = out.offset / 4;
      for (let i = 0; i < n * outTotal; i++) {
        const v = dv[o + i]!;
        sum += v * v;
      }
    }
    return sum / (N * outTotal);
  } finally {
    d.dispose();
    xs.dispose();
    E.dispose();
  }
}

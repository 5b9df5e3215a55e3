// A training batch's layout beyond B x T tokens: per-token RoPE positions and packed samples
// (segments), checked and turned into what the kernels take (each token's segment start).
import type { StepOptions } from './trainable.js';

/** A step option that does not describe a valid batch layout; the message names the option, the entry and what was expected. */
export class StepOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StepOptionsError';
  }
}

/** Segment id of padding: tokens that take part in no sample (no NEFTune noise). */
export const PADDING_SEGMENT = -1;

/**
 * Positions for RoPE, [B * T]: opts.positions checked (integers in [0, maxPos)), or i % T.
 */
export function stepPositions(positions: StepOptions['positions'], B: number, T: number, maxPos: number): Int32Array {
  const N = B * T;
  const out = new Int32Array(N);
  if (positions === undefined) {
    for (let i = 0; i < N; i++) out[i] = i % T;
    return out;
  }
  if (positions.length !== N) throw new StepOptionsError(`positions must hold B*T = ${N} entries, got ${positions.length}`);
  for (let i = 0; i < N; i++) {
    const p = positions[i]!;
    if (!Number.isInteger(p) || p < 0 || p >= maxPos) throw new StepOptionsError(`positions[${i}] = ${p} is not an integer in [0, ${maxPos}) (maxSeqLen, the RoPE table's size)`);
    out[i] = p;
  }
  return out;
}

/**
 * Each token's segment start, [B * T]: the position in its row of the first token with its segment
 * id. Segments must be contiguous runs within a row (ids are integers; -1 is padding, itself a run):
 * a block-diagonal causal mask is then "token t sees tokens start[t] ..= t", which is what the
 * attention kernels take. An id that comes back after another one in the same row is refused
 * rather than guessed at.
 */
export function segmentStarts(segments: ArrayLike<number>, B: number, T: number): Int32Array {
  const N = B * T;
  if (segments.length !== N) throw new StepOptionsError(`segments must hold B*T = ${N} entries, got ${segments.length}`);
  const starts = new Int32Array(N);
  for (let r = 0; r < B; r++) {
    const seen = new Set<number>();
    let start = 0;
    for (let t = 0; t < T; t++) {
      const i = r * T + t;
      const s = segments[i]!;
      if (!Number.isInteger(s) || s < PADDING_SEGMENT) throw new StepOptionsError(`segments[${i}] = ${s} is not an integer >= -1 (a sample's index in its row, -1 for padding)`);
      if (t === 0 || s !== segments[i - 1]) {
        if (seen.has(s)) {
          throw new StepOptionsError(`segments[${i}] = ${s}: segment ${s} of row ${r} appears again after another segment (each segment must be one contiguous run of tokens)`);
        }
        seen.add(s);
        start = t;
      }
      starts[i] = start;
    }
  }
  return starts;
}

/**
 * Token count of each token's segment, [B * T] (the sample's unpadded length), 0 on padding; with no
 * segments, T for every token (the row is one sample).
 */
export function segmentLengths(segments: ArrayLike<number> | undefined, starts: Int32Array | undefined, B: number, T: number): Int32Array {
  const N = B * T;
  const out = new Int32Array(N);
  if (segments === undefined || starts === undefined) return out.fill(T);
  for (let r = 0; r < B; r++) {
    // Walk each row backwards: a run's end is known when its first token is reached.
    let end = T;
    for (let t = T - 1; t >= 0; t--) {
      const i = r * T + t;
      if (t + 1 < T && starts[i + 1] === t + 1) end = t + 1;
      out[i] = segments[i] === PADDING_SEGMENT ? 0 : end - starts[i]!;
    }
  }
  return out;
}

// AWQ's grid search for one group (AutoAWQ's _search_best_scale without duo scaling): alpha over
// `grid` evenly spaced points of [0, 1], s = mean|x|^alpha normalised (scales.ts), the alpha whose
// rounded output is closest to the float one kept. alpha = 0 gives s = 1, plain rounding, so the
// search never does worse than round-to-nearest on the calibration text.
import { scalesFor } from './scales.js';

export interface GroupSearchResult {
  /** The best exponent (0: no scaling). */
  alpha: number;
  /** Its scales, or undefined when alpha is 0. */
  scales?: Float32Array;
  /** Mean squared output error with those scales, and with plain rounding (alpha = 0). */
  error: number;
  rtnError: number;
}

/** Per-channel mean |x| over the rows of X [N, width]. */
export function meanAbs(X: Float32Array, width: number): Float32Array {
  const acc = new Float64Array(width);
  const N = X.length / width;
  for (let t = 0; t < N; t++) for (let c = 0; c < width; c++) acc[c] += Math.abs(X[t * width + c]!);
  return Float32Array.from(acc, (v) => v / N);
}

/** The grid's exponents: `grid` points from 0 to 1, both ends included. */
export function alphaGrid(grid: number): number[] {
  if (!Number.isInteger(grid) || grid < 2) throw new RangeError(`the AWQ grid needs at least 2 points, got ${grid}`);
  return Array.from({ length: grid }, (_, i) => i / (grid - 1));
}

/** The best of the grid for inputs with per-channel mean |x| `mean`; `errorOf(s)` measures the rounded output's error (s undefined: no scales). */
export function searchScales(mean: Float32Array, grid: number, errorOf: (s?: Float32Array) => number): GroupSearchResult {
  let best: GroupSearchResult | undefined;
  let rtnError = NaN;
  for (const alpha of alphaGrid(grid)) {
    const s = alpha === 0 ? undefined : scalesFor(mean, alpha);
    const error = errorOf(s);
    if (alpha === 0) rtnError = error;
    if (!best || error < best.error) best = { alpha, ...(s ? { scales: s } : {}), error, rtnError };
  }
  return { ...best!, rtnError };
}

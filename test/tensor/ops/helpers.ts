// Shared test helpers: seeded random inputs, float64 comparisons, one- and two-thread runtimes.
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { Runtime } from '../../../src/runtime/runtime.js';
import { mulberry32 } from '../../../src/tensor/random.js';

/** Deterministic uniform [0, 1) generator. */
export const rng = mulberry32;

/** n values uniform in [lo, hi), rounded to f32. */
export function randomF32(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/**
 * Asserts |got - want| <= rel * max(|want|, floor) elementwise; `floor` keeps near-zero values
 * (where a relative error means nothing) from failing on rounding noise. Reports the worst index.
 */
export function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, floor: number, what: string): number {
  assert.equal(got.length, want.length, `${what}: length`);
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(w) || Number.isNaN(g)) {
      assert.ok(Number.isNaN(w) && Number.isNaN(g), `${what}[${i}]: got ${g}, want ${w}`);
      continue;
    }
    const err = Math.abs(g - w) / Math.max(Math.abs(w), floor);
    if (!(err <= worst)) {
      worst = err;
      worstAt = i;
    }
  }
  assert.ok(worst <= rel, `${what}: relative error ${worst} at [${worstAt}] (got ${got[worstAt]}, want ${want[worstAt]}) exceeds ${rel}`);
  return worst;
}

/** Asserts two f32 arrays are identical bit for bit. */
export function assertSameBits(a: Float32Array, b: Float32Array, what: string): void {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  assert.equal(ua.length, ub.length, `${what}: length`);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) assert.fail(`${what}: differs at [${i}]: ${a[i]} vs ${b[i]}`);
  }
}

const opened: Runtime[] = [];
after(async () => {
  for (const rt of opened) await rt.close();
});

/** A runtime with this many threads (256 MiB arenas), closed when the test file ends. */
export async function runtime(threads: number): Promise<Runtime> {
  const rt = await Runtime.create({ threads, arenaBytes: 256 << 20 });
  opened.push(rt);
  return rt;
}

/** Runs `fn` with a 1-thread and a 2-thread runtime, closing both whatever happens. */
export async function withOneAndTwoThreads(fn: (rt1: Runtime, rt2: Runtime) => void | Promise<void>): Promise<void> {
  const rt1 = await Runtime.create({ threads: 1, arenaBytes: 256 << 20 });
  let rt2: Runtime | undefined;
  try {
    rt2 = await Runtime.create({ threads: 2, arenaBytes: 256 << 20 });
    await fn(rt1, rt2);
  } finally {
    await rt1.close();
    await rt2?.close();
  }
}

// The MinHash permutation parameters exactly as datatrove draws them, so that our signatures are
// datatrove's: `np.random.RandomState(seed).randint(1, 2^61 - 1, dtype=np.uint64, size=112)` for
// a, then `randint(0, 2^61 - 1, ...)` for b. RandomState is the Mersenne Twister MT19937 (seeded
// by init_genrand); numpy's legacy bounded uint64 draw takes 64 bits (two 32-bit outputs, high
// word first), masks them to the smallest all-ones mask covering the range, and rejects values
// above it. Checked against numpy's own output (test/reference/minhash_reference.py).

/** MT19937 (Matsumoto and Nishimura), seeded like numpy's RandomState(seed). */
export class MT19937 {
  private readonly mt = new Uint32Array(624);
  private i = 624;

  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let k = 1; k < 624; k++) {
      const p = mt[k - 1]! ^ (mt[k - 1]! >>> 30);
      mt[k] = (Math.imul(1812433253, p) + k) >>> 0;
    }
  }

  next32(): number {
    const mt = this.mt;
    if (this.i >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % 624]! & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.i = 0;
    }
    let y = mt[this.i++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/** numpy RandomState.randint(low, high, dtype=np.uint64): uniform in [low, high). */
export function randintU64(mt: MT19937, low: bigint, high: bigint): bigint {
  const rng = high - 1n - low;
  if (rng <= 0n) return low;
  let mask = rng;
  for (const s of [1n, 2n, 4n, 8n, 16n, 32n]) mask |= mask >> s;
  if (rng <= 0xffffffffn) throw new Error('randintU64: ranges below 2^32 draw 32-bit values in numpy; not needed here');
  for (;;) {
    const v = ((BigInt(mt.next32()) << 32n) | BigInt(mt.next32())) & mask;
    if (v <= rng) return low + v;
  }
}

export const MERSENNE_61 = (1n << 61n) - 1n;

/** datatrove's MinHash parameters (a, b) for `hashes` hash functions and a seed. */
export function minhashParameters(seed: number, hashes: number): { a: bigint[]; b: bigint[] } {
  const mt = new MT19937(seed);
  const a: bigint[] = [];
  const b: bigint[] = [];
  for (let i = 0; i < hashes; i++) a.push(randintU64(mt, 1n, MERSENNE_61));
  for (let i = 0; i < hashes; i++) b.push(randintU64(mt, 0n, MERSENNE_61));
  return { a, b };
}

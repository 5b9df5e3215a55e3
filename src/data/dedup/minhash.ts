// MinHash signatures exactly as datatrove computes them (MinhashDedupSignature with its defaults):
// shingles are the xxHash64 of each word n-gram of the simplified text, joined by spaces; each of
// the bands x rows hash functions maps a shingle h to ((h * a + b) mod 2^64) mod (2^61 - 1) --
// numpy's uint64 arithmetic wraps the product before the modulo, and so do we -- and the
// signature is each function's minimum over the document's shingles. Words are the simplified
// text split on spaces; datatrove's English word tokenizer (spaCy) gives the same words except for
// a few special forms it splits further (`cannot` -> `can not`, `gonna` -> `gon na`).
//
// Speed without BigInt: h, a and b are pairs of uint32 words. The exact product needs about 25
// number operations; but a value can only become a new minimum when its high word is no larger
// than the current minimum's, and once a document has more than a few shingles the minima are
// small. So each value first gets a cheap estimate of its high word (two Math.imul and one float
// product, off by at most 2 from the true high word) and the exact path runs only when the
// estimate is within 3 of the minimum (under 1% of the values on 1000-shingle documents).
// Shingle hashes: xxhash-wasm's h64Raw over the UTF-8 bytes of each n-gram, which lie contiguously
// in the encoded token text (about 85 ns each here; node:crypto's SHA-1, datatrove's other
// choice, takes 1.6 us).
import xxhash from 'xxhash-wasm';
import { minhashParameters } from './mt19937.js';
import { simplifyText } from './normalize.js';
import { tokenText, type CjkMode } from './tokens.js';

type XXHashAPI = Awaited<ReturnType<typeof xxhash>>;

let xxhashApi: Promise<XXHashAPI> | undefined;
/** The xxHash WebAssembly module, instantiated once per thread. */
export function loadXxhash(): Promise<XXHashAPI> {
  return (xxhashApi ??= xxhash());
}

export interface MinHashConfig {
  /** Words per shingle (datatrove: 5). */
  nGrams: number;
  /** LSH bands (datatrove: 14). */
  bands: number;
  /** Hashes per band (datatrove: 8). */
  rows: number;
  /** Seed of numpy's RandomState for the hash functions (datatrove: 1). */
  seed: number;
  cjk: CjkMode;
}

const TWO32 = 4294967296;
const INV32 = 1 / TWO32;
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;
/** High word of 2^61 - 1. */
const PH = 0x1fffffff;

export class MinHasher {
  readonly hashes: number;
  private readonly aH: Int32Array;
  private readonly aL: Int32Array;
  /** aL / 2^32, for the float estimate of the product's high word. */
  private readonly aLs: Float64Array;
  private readonly aL0: Float64Array;
  private readonly aL1: Float64Array;
  private readonly bH: Int32Array;
  private readonly bL: Float64Array;
  /** Running minima: high words (0 .. PH + 1, the sentinel) and low words. */
  private readonly mH: Int32Array;
  private readonly mL: Float64Array;
  /** The current document's shingle hashes: high and low words. */
  private sH: Int32Array = new Int32Array(1 << 12);
  private sL: Int32Array = new Int32Array(1 << 12);
  private bytes: Uint8Array = new Uint8Array(1 << 16);
  private starts: Int32Array = new Int32Array(1 << 12);
  private readonly encoder = new TextEncoder();
  private readonly word64 = new BigUint64Array(1);
  /** The two words of word64 (in the platform's byte order: see HI, LO). */
  private readonly words32 = new Uint32Array(this.word64.buffer);

  constructor(
    readonly config: MinHashConfig,
    private readonly xxh: XXHashAPI,
  ) {
    const k = config.bands * config.rows;
    this.hashes = k;
    const { a, b } = minhashParameters(config.seed, k);
    this.aH = new Int32Array(k);
    this.aL = new Int32Array(k);
    this.aLs = new Float64Array(k);
    this.aL0 = new Float64Array(k);
    this.aL1 = new Float64Array(k);
    this.bH = new Int32Array(k);
    this.bL = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      const al = Number(a[i]! & 0xffffffffn);
      this.aH[i] = Number(a[i]! >> 32n);
      this.aL[i] = al | 0;
      this.aLs[i] = al * INV32;
      this.aL0[i] = al & 0xffff;
      this.aL1[i] = al >>> 16;
      this.bH[i] = Number(b[i]! >> 32n);
      this.bL[i] = Number(b[i]! & 0xffffffffn);
    }
    this.mH = new Int32Array(k);
    this.mL = new Float64Array(k);
  }

  /** The words the shingles are made of, joined by single spaces. */
  tokenText(text: string): string {
    return tokenText(simplifyText(text), this.config.cjk);
  }

  /** Hashes the text's shingles into sH / sL; returns their number. */
  private hashShingles(text: string): number {
    const t = this.tokenText(text);
    if (!t) return 0;
    if (this.bytes.length < t.length * 3) this.bytes = new Uint8Array(t.length * 3 + 1024);
    const len = this.encoder.encodeInto(t, this.bytes).written;
    const buf = this.bytes;
    // starts[w] = first byte of word w; starts[words] = len + 1 closes the last word.
    let words = 0;
    let starts = this.starts;
    starts[words++] = 0;
    for (let i = 0; i < len; i++) {
      if (buf[i] !== 32) continue;
      if (words + 1 >= starts.length) starts = this.growStarts();
      starts[words++] = i + 1;
    }
    starts[words] = len + 1;
    const n = this.config.nGrams;
    const count = words - n + 1;
    if (count <= 0) return 0;
    this.reserveShingles(count);
    const { sH, sL } = this;
    const h64 = this.xxh.h64Raw;
    // The BigInt result goes through a BigUint64Array to its two words: a third faster than
    // shifting and masking BigInts.
    const { word64, words32 } = this;
    for (let s = 0; s < count; s++) {
      word64[0] = h64(buf.subarray(starts[s]!, starts[s + n]! - 1));
      sH[s] = words32[HI]!;
      sL[s] = words32[LO]!;
    }
    return count;
  }

  private growStarts(): Int32Array {
    const s = new Int32Array(this.starts.length * 2);
    s.set(this.starts);
    this.starts = s;
    return s;
  }

  private reserveShingles(n: number): void {
    if (n <= this.sH.length) return;
    const cap = Math.max(n, this.sH.length * 2);
    this.sH = new Int32Array(cap);
    this.sL = new Int32Array(cap);
  }

  /**
   * Calls `each(hi, lo)` with the 64-bit hash of every shingle, in order; returns their number
   * (0 when the text has fewer words than a shingle).
   */
  shingles(text: string, each: (hi: number, lo: number) => void): number {
    const n = this.hashShingles(text);
    for (let s = 0; s < n; s++) each(this.sH[s]! >>> 0, this.sL[s]! >>> 0);
    return n;
  }

  /**
   * Writes the signature into `out` (2 words per hash function: high then low word of a value
   * below 2^61 - 1); returns false, leaving `out` alone, when the text has no shingle (datatrove
   * writes no signature then, so such a document is never a duplicate).
   */
  signature(text: string, out: Uint32Array): boolean {
    const n = this.hashShingles(text);
    if (n === 0) return false;
    this.minimise(n, out);
    return true;
  }

  /** The signature of given shingle hashes (`count` pairs of hi, lo words); false when there are none. */
  signatureOf(shingles: Uint32Array, count: number, out: Uint32Array): boolean {
    if (count === 0) return false;
    this.reserveShingles(count);
    for (let s = 0; s < count; s++) {
      this.sH[s] = shingles[2 * s]!;
      this.sL[s] = shingles[2 * s + 1]!;
    }
    this.minimise(count, out);
    return true;
  }

  /** Minimum of every hash function over shingles 0 .. n - 1, into `out`. */
  private minimise(n: number, out: Uint32Array): void {
    const { sH, sL, mH, mL, aH, aL, aLs, bH } = this;
    mH.fill(PH + 1);
    mL.fill(0);
    // Two hash functions outside, shingles inside: their constants and running minima stay in
    // registers and each shingle is loaded once for both (1.7 ns per value here, against 2.2 for
    // one function at a time; four at a time run out of registers).
    const k = this.hashes;
    let i = 0;
    for (; i + 1 < k; i += 2) {
      const ah0 = aH[i]!;
      const al0 = aL[i]!;
      const as0 = aLs[i]!;
      const bh0 = bH[i]!;
      const ah1 = aH[i + 1]!;
      const al1 = aL[i + 1]!;
      const as1 = aLs[i + 1]!;
      const bh1 = bH[i + 1]!;
      let m0 = PH + 1;
      let m1 = PH + 1;
      for (let s = 0; s < n; s++) {
        const x = sL[s]!;
        const y = sH[s]!;
        const f = x >>> 0;
        // Estimates of the high word of (h * a + b) mod 2^64, within [-2, +1] of the true one.
        const e0 = (Math.imul(x, ah0) + Math.imul(y, al0) + ((f * as0) >>> 0) + bh0) & PH;
        const e1 = (Math.imul(x, ah1) + Math.imul(y, al1) + ((f * as1) >>> 0) + bh1) & PH;
        if (e0 - m0 < 3 || e0 > PH - 3) {
          this.exact(i, y >>> 0, f);
          m0 = mH[i]!;
        }
        if (e1 - m1 < 3 || e1 > PH - 3) {
          this.exact(i + 1, y >>> 0, f);
          m1 = mH[i + 1]!;
        }
      }
    }
    for (; i < k; i++) {
      const ah = aH[i]!;
      const al = aL[i]!;
      const as = aLs[i]!;
      const bh = bH[i]!;
      let m = PH + 1;
      for (let s = 0; s < n; s++) {
        const x = sL[s]!;
        const e = (Math.imul(x, ah) + Math.imul(sH[s]!, al) + (((x >>> 0) * as) >>> 0) + bh) & PH;
        if (e - m < 3 || e > PH - 3) {
          this.exact(i, sH[s]! >>> 0, x >>> 0);
          m = mH[i]!;
        }
      }
    }
    for (let j = 0; j < k; j++) {
      out[2 * j] = mH[j]!;
      out[2 * j + 1] = mL[j]!;
    }
  }

  /** ((h * a_i + b_i) mod 2^64) mod (2^61 - 1), exactly, folded into minimum i. */
  private exact(i: number, hH: number, hL: number): void {
    const aLi = this.aL[i]!;
    // hL * aL as a 64-bit product from two exact 48-bit partial products.
    const t0 = hL * this.aL0[i]!;
    const t1 = hL * this.aL1[i]!;
    const t1lo = t1 % 65536;
    const t1hi = (t1 - t1lo) / 65536;
    const mid = t0 + t1lo * 65536;
    const midHi = Math.floor(mid * INV32);
    let lo = (Math.imul(hL, aLi) >>> 0) + this.bL[i]!;
    let carry = 0;
    if (lo >= TWO32) {
      lo -= TWO32;
      carry = 1;
    }
    const hi = (t1hi + midHi + Math.imul(hH, aLi) + Math.imul(hL, this.aH[i]!) + this.bH[i]! + carry) >>> 0;
    // x mod (2^61 - 1) = (x & (2^61 - 1)) + (x >> 61), then at most one subtraction.
    let rH = hi & PH;
    let rL = lo + (hi >>> 29);
    if (rL >= TWO32) {
      rL -= TWO32;
      rH++;
    }
    if (rH > PH || (rH === PH && rL === TWO32 - 1)) {
      rH -= PH + 1;
      rL += 1;
      if (rL >= TWO32) {
        rL -= TWO32;
        rH++;
      }
    }
    if (rH < this.mH[i]! || (rH === this.mH[i] && rL < this.mL[i]!)) {
      this.mH[i] = rH;
      this.mL[i] = rL;
    }
  }
}

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function murmurWords(words: Uint32Array, from: number, to: number, seed: number): number {
  let h = seed;
  for (let i = from; i < to; i++) {
    let k = Math.imul(words[i]!, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix32(h ^ ((to - from) * 4));
}

/**
 * A 64-bit key for band `band` of a signature: two MurmurHash3 words over its rows. datatrove
 * compares the rows themselves (64 bytes per band); two different bands share a key with
 * probability 2^-64, and the key takes 8 bytes.
 */
export function bandKey(sig: Uint32Array, band: number, rows: number, out: Uint32Array, at: number): void {
  const from = band * rows * 2;
  const to = from + rows * 2;
  out[at] = murmurWords(sig, from, to, 0x9747b28c);
  out[at + 1] = murmurWords(sig, from, to, 0x5bd1e995);
}

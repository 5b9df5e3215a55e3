// sentencepiece's precompiled normalization rules (NormalizerSpec.precompiled_charsmap), used by models
// trained with nmt_nfkc and friends. Layout: <u32 LE trie size><darts-clone double array><NUL-terminated
// replacement strings>. Identity models (Yi, Llama) have an empty charsmap and never get here.
import { TokenizerError } from './errors.js';

const decoder = new TextDecoder();

export class Charsmap {
  private readonly units: Uint32Array;
  private readonly strings: Uint8Array;
  private readonly cache = new Map<number, string>();

  /** `source` names the file the blob came from, for errors. */
  constructor(blob: Uint8Array, source = 'precompiled_charsmap') {
    if (blob.byteLength < 4) throw new TokenizerError(source, 'normalizer_spec.precompiled_charsmap: shorter than its 4-byte header');
    const size = new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getUint32(0, true);
    if (size === 0 || size % 4 !== 0 || 4 + size > blob.byteLength) {
      throw new TokenizerError(source, `normalizer_spec.precompiled_charsmap: trie size ${size} does not fit the ${blob.byteLength}-byte blob`);
    }
    // Copy so the units are 4-byte aligned whatever the protobuf buffer's offset.
    this.units = new Uint32Array(blob.slice(4, 4 + size).buffer);
    this.strings = blob.subarray(4 + size);
  }

  /**
   * Longest rule matching `s` at code-unit `pos`: [code units consumed, replacement], or null.
   * Walks the double array over the UTF-8 bytes of successive code points (darts-clone
   * commonPrefixSearch), keeping only matches that end on a code point boundary.
   */
  longest(s: string, pos: number): [number, string] | null {
    const u = this.units;
    let node = offset(u[0]!);
    let bestLen = 0;
    let bestValue = -1;
    let i = pos;
    const bytes = [0, 0, 0, 0];
    while (i < s.length) {
      const cp = s.codePointAt(i)!;
      const cpUnits = cp > 0xffff ? 2 : 1;
      const nb = utf8(cp, bytes);
      let leafValue = -1;
      for (let k = 0; k < nb; k++) {
        const b = bytes[k]!;
        node ^= b;
        const unit = u[node];
        if (unit === undefined || (unit & 0x800000ff) >>> 0 !== b) return bestLen ? [bestLen, this.value(bestValue)] : null;
        node ^= offset(unit);
        leafValue = (unit >>> 8) & 1 ? u[node]! & 0x7fffffff : -1;
      }
      i += cpUnits;
      if (leafValue >= 0) {
        bestLen = i - pos;
        bestValue = leafValue;
      }
    }
    return bestLen ? [bestLen, this.value(bestValue)] : null;
  }

  private value(at: number): string {
    let v = this.cache.get(at);
    if (v === undefined) {
      let end = at;
      while (end < this.strings.length && this.strings[end] !== 0) end++;
      v = decoder.decode(this.strings.subarray(at, end));
      this.cache.set(at, v);
    }
    return v;
  }
}

function offset(unit: number): number {
  return (unit >>> 10) << ((unit & (1 << 9)) >>> 6);
}

function utf8(cp: number, out: number[]): number {
  if (cp < 0x80) {
    out[0] = cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = 0xc0 | (cp >> 6);
    out[1] = 0x80 | (cp & 0x3f);
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = 0xe0 | (cp >> 12);
    out[1] = 0x80 | ((cp >> 6) & 0x3f);
    out[2] = 0x80 | (cp & 0x3f);
    return 3;
  }
  out[0] = 0xf0 | (cp >> 18);
  out[1] = 0x80 | ((cp >> 12) & 0x3f);
  out[2] = 0x80 | ((cp >> 6) & 0x3f);
  out[3] = 0x80 | (cp & 0x3f);
  return 4;
}

// Text normalization before BPE, as sentencepiece's Normalizer::Normalize does it (src/normalizer.cc):
// optional charsmap rules, whitespace escaping to U+2581, dummy prefix, extra-whitespace removal.
// User-defined pieces are copied untouched (the same PrefixMatcher the BPE step uses).
import type { Charsmap } from './charsmap.js';
import type { PrefixMatcher } from './prefix-matcher.js';

export const SPACE_SYMBOL = '\u2581';

export interface NormalizerOptions {
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
  treatWhitespaceAsSuffix: boolean;
  /** Precompiled rules (nmt_nfkc...); absent for identity normalization. */
  charsmap?: Charsmap;
}

export class Normalizer {
  private readonly fast: boolean;

  constructor(
    readonly opts: NormalizerOptions,
    private readonly userDefined?: PrefixMatcher,
  ) {
    // Identity without whitespace cleanup (Yi, Llama): one replaceAll does the whole job.
    this.fast = !opts.charsmap && !opts.removeExtraWhitespaces && !(userDefined && userDefined.size > 0);
  }

  /** `addPrefix` false suppresses the dummy prefix (used for text that follows a special token). */
  normalize(input: string, addPrefix = true): string {
    if (input.length === 0) return '';
    // JS strings may hold lone surrogates; sentencepiece sees UTF-8, where they would be U+FFFD.
    const text = toWellFormed(input);
    const o = this.opts;
    const dummy = addPrefix && o.addDummyPrefix;
    if (this.fast) {
      const body = o.escapeWhitespaces ? text.replaceAll(' ', SPACE_SYMBOL) : text;
      if (!dummy) return body;
      const ws = o.escapeWhitespaces ? SPACE_SYMBOL : ' ';
      return o.treatWhitespaceAsSuffix ? body + ws : ws + body;
    }
    return this.general(text, dummy);
  }

  private general(text: string, dummy: boolean): string {
    const o = this.opts;
    let pos = 0;
    if (o.removeExtraWhitespaces) {
      while (pos < text.length) {
        const [rep, len] = this.prefix(text, pos);
        if (rep !== ' ') break;
        pos += len;
      }
    }
    if (pos >= text.length) return '';
    const ws = o.escapeWhitespaces ? SPACE_SYMBOL : ' ';
    let out = '';
    if (dummy && !o.treatWhitespaceAsSuffix) out += ws;
    let isPrevSpace = o.removeExtraWhitespaces;
    while (pos < text.length) {
      const [rep, len] = this.prefix(text, pos);
      let sp = rep;
      if (isPrevSpace) {
        let k = 0;
        while (k < sp.length && sp.charCodeAt(k) === 0x20) k++;
        sp = sp.slice(k);
      }
      if (sp.length > 0) {
        out += o.escapeWhitespaces ? sp.replaceAll(' ', SPACE_SYMBOL) : sp;
        isPrevSpace = sp.endsWith(' ');
      }
      pos += len;
      if (!o.removeExtraWhitespaces) isPrevSpace = false;
    }
    if (o.removeExtraWhitespaces) {
      while (out.endsWith(ws)) out = out.slice(0, out.length - ws.length);
    }
    if (dummy && o.treatWhitespaceAsSuffix) out += ws;
    return out;
  }

  /** NormalizePrefix: [replacement, code units consumed] for the text at `pos`. */
  private prefix(s: string, pos: number): [string, number] {
    if (this.userDefined) {
      const m = this.userDefined.match(s, pos);
      if (m > 0) return [s.substr(pos, m), m];
    }
    if (this.opts.charsmap) {
      const r = this.opts.charsmap.longest(s, pos);
      if (r) return [r[1], r[0]];
    }
    const len = s.codePointAt(pos)! > 0xffff ? 2 : 1;
    return [s.substr(pos, len), len];
  }
}

// With the u flag a surrogate class matches only unpaired surrogates (pairs are one code point).
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const LONE_SURROGATES = /[\uD800-\uDFFF]/gu;

/** String.prototype.toWellFormed (ES2024; our TypeScript lib is ES2022). */
export function toWellFormed(s: string): string {
  return LONE_SURROGATE.test(s) ? s.replace(LONE_SURROGATES, '\uFFFD') : s;
}

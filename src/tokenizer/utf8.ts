// UTF-8 helpers with sentencepiece's rules (src/util.cc DecodeUTF8): a byte that does not start a
// complete, shortest-form, non-surrogate sequence becomes one U+FFFD and decoding resumes at the next byte.
// (WHATWG TextDecoder would fold a truncated sequence into a single U+FFFD, so it cannot be used here.)

export const REPLACEMENT = '\uFFFD';

function isTrail(b: number): boolean {
  return (b & 0xc0) === 0x80;
}

/** Sequence length announced by a lead byte, or 0 when the byte cannot start a sequence. */
function seqLength(b: number): number {
  if (b < 0x80) return 1;
  if ((b & 0xe0) === 0xc0) return 2;
  if ((b & 0xf0) === 0xe0) return 3;
  if ((b & 0xf8) === 0xf0) return 4;
  return 0;
}

/**
 * Decodes bytes[0..n) into `out` (an array of string parts), returning how many bytes were consumed.
 * With `final` false, an incomplete but so-far-valid sequence at the end is left unconsumed (for the
 * streaming decoder); with `final` true it becomes U+FFFD per byte, exactly as sentencepiece decodes it.
 */
export function decodeUtf8Spm(bytes: ArrayLike<number>, n: number, final: boolean, out: string[]): number {
  let i = 0;
  while (i < n) {
    const b0 = bytes[i]!;
    const need = seqLength(b0);
    if (need === 1) {
      out.push(String.fromCharCode(b0));
      i++;
      continue;
    }
    if (need === 0) {
      out.push(REPLACEMENT);
      i++;
      continue;
    }
    // Check the trail bytes that are present; a non-trail byte makes the lead invalid right away.
    let k = 1;
    while (k < need && i + k < n && isTrail(bytes[i + k]!)) k++;
    if (k < need && i + k >= n && !final) break; // wait for more bytes
    if (k < need) {
      out.push(REPLACEMENT);
      i++;
      continue;
    }
    let cp: number;
    if (need === 2) cp = ((b0 & 0x1f) << 6) | (bytes[i + 1]! & 0x3f);
    else if (need === 3) cp = ((b0 & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f);
    else cp = ((b0 & 0x07) << 18) | ((bytes[i + 1]! & 0x3f) << 12) | ((bytes[i + 2]! & 0x3f) << 6) | (bytes[i + 3]! & 0x3f);
    const min = need === 2 ? 0x80 : need === 3 ? 0x800 : 0x10000;
    const valid = cp >= min && (cp < 0xd800 || (cp >= 0xe000 && cp <= 0x10ffff));
    if (!valid) {
      out.push(REPLACEMENT);
      i++;
      continue;
    }
    out.push(String.fromCodePoint(cp));
    i += need;
  }
  return i;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string (lone surrogates become U+FFFD, as everywhere in the tokenizer). */
export function utf8Bytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** `<0xNN>` piece text for a byte, as sentencepiece's ByteToPiece writes it (upper-case hex). */
export function bytePiece(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}

/** The byte of a `<0xNN>` piece, or -1. */
export function pieceByte(piece: string): number {
  const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
  return m ? parseInt(m[1]!, 16) : -1;
}

// Stop strings over streamed text: the answer ends where a stop string first appears (it is not part
// of the answer), and while streaming, text that could be the start of a stop string is held back
// until the next piece shows whether it is. The pieces come from a StreamDecoder, so no UTF-8
// character is ever cut either. Shared by generate() and the server.

/** Longest suffix of `text` that is a proper prefix of one of `stops` (text held back while streaming). */
function heldBack(text: string, stops: readonly string[]): number {
  let hold = 0;
  for (const s of stops) {
    for (let k = Math.min(s.length - 1, text.length); k > hold; k--) {
      if (text.endsWith(s.slice(0, k))) {
        hold = k;
        break;
      }
    }
  }
  return hold;
}

export class StopStringFilter {
  private all = '';
  private emitted = 0;
  private readonly stops: string[];
  /** Set once a stop string appeared; the text ends before it. */
  stopped = false;

  constructor(stops: readonly string[] = []) {
    this.stops = stops.filter((s) => s.length > 0);
  }

  /** The answer so far (up to the stop string once stopped), held-back text included. */
  get text(): string {
    return this.all;
  }

  /** Appends a decoded piece; returns the text that became safe to show (after a stop string: the rest before it). */
  push(piece: string): string {
    if (this.stopped) return '';
    this.all += piece;
    // A stop string that ends in this piece starts at most its length before the text not yet shown.
    let cut = -1;
    for (const s of this.stops) {
      const i = this.all.indexOf(s, Math.max(0, this.emitted - s.length));
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      this.all = this.all.slice(0, cut);
      this.stopped = true;
      return this.take(this.all.length);
    }
    return this.take(this.all.length - heldBack(this.all, this.stops));
  }

  /** The end of the answer without a stop string: `tail` (a decoder's flush) and everything held back. */
  finish(tail = ''): string {
    if (this.stopped) return '';
    this.all += tail;
    return this.take(this.all.length);
  }

  private take(upTo: number): string {
    if (upTo <= this.emitted) return '';
    const s = this.all.slice(this.emitted, upTo);
    this.emitted = upTo;
    return s;
  }
}

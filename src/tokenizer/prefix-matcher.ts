// Longest-prefix matching of a fixed set of strings (user-defined or special pieces), the job
// sentencepiece's PrefixMatcher does with a double-array trie. A trie of UTF-16 code units keyed by Maps:
// these sets are small (tens to a few thousand strings), so simplicity wins over a double array.

interface Node {
  next: Map<number, Node>;
  /** Id of the string ending here, or -1. */
  id: number;
}

export class PrefixMatcher {
  private readonly root: Node = { next: new Map(), id: -1 };
  /** Code units that start some entry: a cheap first test on the hot path. */
  private readonly firsts = new Set<number>();
  readonly size: number;

  constructor(entries: Iterable<[text: string, id: number]>) {
    let n = 0;
    for (const [text, id] of entries) {
      if (text.length === 0) continue;
      let node = this.root;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        let child = node.next.get(c);
        if (!child) {
          child = { next: new Map(), id: -1 };
          node.next.set(c, child);
        }
        node = child;
      }
      node.id = id;
      this.firsts.add(text.charCodeAt(0));
      n++;
    }
    this.size = n;
  }

  /** Length in code units of the longest entry that starts at `pos` (0 if none); its id in `hit.id`. */
  match(s: string, pos: number, hit?: { id: number }): number {
    if (!this.firsts.has(s.charCodeAt(pos))) return 0;
    let node: Node | undefined = this.root;
    let best = 0;
    for (let i = pos; i < s.length; i++) {
      node = node.next.get(s.charCodeAt(i));
      if (!node) break;
      if (node.id >= 0) {
        best = i + 1 - pos;
        if (hit) hit.id = node.id;
      }
    }
    return best;
  }
}
